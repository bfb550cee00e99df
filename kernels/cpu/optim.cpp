// Optimiser updates matching torch.optim.Adam / torch.optim.SGD step for step.
#include "ss/kernels/optim.h"

#include <cmath>

#include "instantiate.h"

namespace ss::cpu {

template <class T>
void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamParams& a, const float* found_inf) {
  if (found_inf && *found_inf != 0.f) return;
  const double bc1 = 1.0 - std::pow(double(a.beta1), double(a.step));
  const double bc2 = 1.0 - std::pow(double(a.beta2), double(a.step));
  const T step_size = T(a.lr / bc1);
  const T bc2_sqrt = T(std::sqrt(bc2));
  const T b1 = T(a.beta1), b2 = T(a.beta2), wd = T(a.weight_decay), eps = T(a.eps);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const T gi = g[i] + wd * p[i];
    m[i] = b1 * m[i] + (T(1) - b1) * gi;
    v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
    p[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
  }
}

template <class T>
void sgd_step(T* p, const T* g, T* buf, int64_t n, float lr, float momentum, float wd,
              bool first_step, const float* found_inf) {
  if (found_inf && *found_inf != 0.f) return;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    T gi = g[i] + T(wd) * p[i];
    if (momentum != 0.f) {
      buf[i] = first_step ? gi : T(momentum) * buf[i] + gi;
      gi = buf[i];
    }
    p[i] -= T(lr) * gi;
  }
}

#define INST(T)                                                                           \
  template void adam_step<T>(T*, const T*, T*, T*, int64_t, const AdamParams&, const float*); \
  template void sgd_step<T>(T*, const T*, T*, int64_t, float, float, float, bool, const float*);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
