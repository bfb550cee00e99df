// Reductions in double accumulators (deterministic for a fixed thread count).
#include "ss/kernels/reduce.h"

#include "instantiate.h"

namespace ss::cpu {

template <class T> void sum_all(const T* x, int64_t n, T* out) {
  double s = 0;
#pragma omp parallel for reduction(+ : s) schedule(static)
  for (int64_t i = 0; i < n; ++i) s += x[i];
  out[0] = T(s);
}

template <class T>
void sum_axis(const T* x, int64_t outer, int64_t len, int64_t inner, T* y) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double s = 0;
      for (int64_t l = 0; l < len; ++l) s += x[(o * len + l) * inner + i];
      y[o * inner + i] = T(s);
    }
}

template <class T>
void broadcast_axis(const T* dy, int64_t outer, int64_t len, int64_t inner, T s, T* dx) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t l = 0; l < len; ++l)
      for (int64_t i = 0; i < inner; ++i) dx[(o * len + l) * inner + i] = s * dy[o * inner + i];
}

#define INST(T)                                                              \
  template void sum_all<T>(const T*, int64_t, T*);                           \
  template void sum_axis<T>(const T*, int64_t, int64_t, int64_t, T*);        \
  template void broadcast_axis<T>(const T*, int64_t, int64_t, int64_t, T, T*);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
