// Philox-driven fills; the same formulas run in kernels/cuda/random.cu.
#include "ss/kernels/random.h"

#include <algorithm>
#include <cmath>

#include "instantiate.h"
#include "ss/kernels/philox.h"

namespace ss::cpu {

template <class T>
void fill_uniform(T* y, int64_t n, uint64_t seed, uint64_t offset, T lo, T hi) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    y[i] = lo + (hi - lo) * T(philox::uniform(seed, offset, uint64_t(i)));
}

template <class T>
void fill_normal(T* y, int64_t n, uint64_t seed, uint64_t offset, T mean, T std) {
  const int64_t pairs = (n + 1) / 2;
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < pairs; ++j) {
    const float u1 = philox::uniform(seed, offset, uint64_t(2 * j));
    const float u2 = philox::uniform(seed, offset, uint64_t(2 * j + 1));
    const float r = std::sqrt(-2.0f * std::log(std::max(u1, 1e-7f)));
    const float th = 6.2831853071795864f * u2;
    y[2 * j] = mean + std * T(r * std::cos(th));
    if (2 * j + 1 < n) y[2 * j + 1] = mean + std * T(r * std::sin(th));
  }
}

#define INST(T)                                                                   \
  template void fill_uniform<T>(T*, int64_t, uint64_t, uint64_t, T, T);           \
  template void fill_normal<T>(T*, int64_t, uint64_t, uint64_t, T, T);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
