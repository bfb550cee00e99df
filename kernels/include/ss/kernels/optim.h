// Optimiser update kernels, in place on parameters and state.
#pragma once
#include <cstdint>

namespace ss {
struct AdamParams {
  float lr = 1e-3f, beta1 = 0.8f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.f;
  int64_t step = 1;  // 1-based step count after increment, for bias correction
};
}  // namespace ss

namespace ss::cpu {
// torch.optim.Adam semantics: g += wd * p (coupled L2); m,v moments; bias-corrected.
template <class T> void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamParams& a);
// torch.optim.SGD: g += wd*p; buf = momentum*buf + g (buf = g on first step); p -= lr*buf.
template <class T>
void sgd_step(T* p, const T* g, T* buf, int64_t n, float lr, float momentum, float wd,
              bool first_step);
}  // namespace ss::cpu

namespace ss::cuda {
void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamParams& a);
// Fused multi-tensor Adam: one launch over many parameter tensors.
void adam_step_multi(float* const* p, const float* const* g, float* const* m, float* const* v,
                     const int64_t* sizes, int count, const AdamParams& a);
void sgd_step(float* p, const float* g, float* buf, int64_t n, float lr, float momentum,
              float wd, bool first_step);
}  // namespace ss::cuda
