// Optimiser update kernels, in place on parameters and state.
//
// Overflow skip (dynamic loss scaling, kernels/amp.h): every kernel takes an optional
// found_inf (same memory as the parameters; null = never skip). When *found_inf != 0 the
// step writes nothing: parameters, moments and the step count stay as they were, like
// torch.cuda.amp.GradScaler skipping optimizer.step().
//
// Device learning-rate schedule (CUDA graphs): the multi-tensor kernels optionally take a
// schedule and a device step counter `sched_step`; the step then uses
// lr = sched.at(*sched_step) and increments the counter (skipped steps included), instead
// of the host's lr, so a replayed graph follows the schedule without host writes.
#pragma once
#include <cstdint>

#include "ss/kernels/lr_schedule.h"

namespace ss {
struct AdamParams {
  float lr = 1e-3f, beta1 = 0.8f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.f;
  int64_t step = 1;  // 1-based step count after increment, for bias correction
};
}  // namespace ss

namespace ss::cpu {
// torch.optim.Adam semantics: g += wd * p (coupled L2); m,v moments; bias-corrected.
template <class T>
void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamParams& a,
               const float* found_inf = nullptr);
// torch.optim.SGD: g += wd*p; buf = momentum*buf + g (buf = g on first step); p -= lr*buf.
template <class T>
void sgd_step(T* p, const T* g, T* buf, int64_t n, float lr, float momentum, float wd,
              bool first_step, const float* found_inf = nullptr);
}  // namespace ss::cpu

namespace ss::cuda {
// Single tensor, bias correction from a.step (host).
void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamParams& a,
               const float* found_inf = nullptr);
// Fused multi-tensor Adam: one launch per 48 parameter tensors. p, g, m, v, sizes are host
// arrays (of device pointers). The step count lives on the device: `step` (device int64)
// counts the applied steps; unless *found_inf != 0 it is incremented and the bias
// corrections come from it, so a skipped step needs no host read. a.step is not used.
void adam_step_multi(float* const* p, const float* const* g, float* const* m, float* const* v,
                     const int64_t* sizes, int count, const AdamParams& a, int64_t* step,
                     const float* found_inf = nullptr,
                     const WarmupLinearSchedule* sched = nullptr, int64_t* sched_step = nullptr);
void sgd_step(float* p, const float* g, float* buf, int64_t n, float lr, float momentum,
              float wd, bool first_step, const float* found_inf = nullptr);
// Fused multi-tensor SGD with the device step count as in adam_step_multi: the first
// applied step (*step == 0) sets buf = g.
void sgd_step_multi(float* const* p, const float* const* g, float* const* buf,
                    const int64_t* sizes, int count, float lr, float momentum, float wd,
                    int64_t* step, const float* found_inf = nullptr,
                    const WarmupLinearSchedule* sched = nullptr, int64_t* sched_step = nullptr);
}  // namespace ss::cuda
