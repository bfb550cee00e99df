// Pointwise activations. Backward kernels overwrite dx.
#pragma once
#include <cstdint>

namespace ss::cpu {
template <class T> void relu_fwd(const T* x, T* y, int64_t n);
template <class T> void relu_bwd(const T* x, const T* dy, T* dx, int64_t n);
// CELU(x) = max(0,x) + min(0, alpha*(exp(x/alpha)-1)).
template <class T> void celu_fwd(const T* x, T* y, int64_t n, T alpha);
template <class T> void celu_bwd(const T* x, const T* dy, T* dx, int64_t n, T alpha);
template <class T> void tanh_fwd(const T* x, T* y, int64_t n);
template <class T> void tanh_bwd(const T* y, const T* dy, T* dx, int64_t n);  // uses output
template <class T> void exp_fwd(const T* x, T* y, int64_t n);
// y = c * tanh(x / c): the soft clip used by AMDIM scores.
template <class T> void softclip_fwd(const T* x, T* y, int64_t n, T c);
template <class T> void softclip_bwd(const T* x, const T* dy, T* dx, int64_t n, T c);
}  // namespace ss::cpu

namespace ss::cuda {
void relu_fwd(const float* x, float* y, int64_t n);
void relu_bwd(const float* x, const float* dy, float* dx, int64_t n);
void celu_fwd(const float* x, float* y, int64_t n, float alpha);
void celu_bwd(const float* x, const float* dy, float* dx, int64_t n, float alpha);
void tanh_fwd(const float* x, float* y, int64_t n);
void tanh_bwd(const float* y, const float* dy, float* dx, int64_t n);
void exp_fwd(const float* x, float* y, int64_t n);
void softclip_fwd(const float* x, float* y, int64_t n, float c);
void softclip_bwd(const float* x, const float* dy, float* dx, int64_t n, float c);
}  // namespace ss::cuda
