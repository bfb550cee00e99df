// Pointwise activations (OpenMP SIMD loops).
#include "ss/kernels/act.h"

#include <cmath>

#include "instantiate.h"

namespace ss::cpu {

template <class T> void relu_fwd(const T* x, T* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}
template <class T> void relu_bwd(const T* x, const T* dy, T* dx, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : T(0);
}
template <class T> void celu_fwd(const T* x, T* y, int64_t n, T alpha) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : alpha * std::expm1(x[i] / alpha);
}
template <class T> void celu_bwd(const T* x, const T* dy, T* dx, int64_t n, T alpha) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : dy[i] * std::exp(x[i] / alpha);
}
template <class T> void tanh_fwd(const T* x, T* y, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
template <class T> void tanh_bwd(const T* y, const T* dy, T* dx, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (T(1) - y[i] * y[i]);
}
template <class T> void exp_fwd(const T* x, T* y, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}
template <class T> void softclip_fwd(const T* x, T* y, int64_t n, T c) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = c * std::tanh(x[i] / c);
}
template <class T> void softclip_bwd(const T* x, const T* dy, T* dx, int64_t n, T c) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const T t = std::tanh(x[i] / c);
    dx[i] = dy[i] * (T(1) - t * t);
  }
}

#define INST(T)                                                     \
  template void relu_fwd<T>(const T*, T*, int64_t);                 \
  template void relu_bwd<T>(const T*, const T*, T*, int64_t);       \
  template void celu_fwd<T>(const T*, T*, int64_t, T);              \
  template void celu_bwd<T>(const T*, const T*, T*, int64_t, T);    \
  template void tanh_fwd<T>(const T*, T*, int64_t);                 \
  template void tanh_bwd<T>(const T*, const T*, T*, int64_t);       \
  template void exp_fwd<T>(const T*, T*, int64_t);                  \
  template void softclip_fwd<T>(const T*, T*, int64_t, T);          \
  template void softclip_bwd<T>(const T*, const T*, T*, int64_t, T);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
