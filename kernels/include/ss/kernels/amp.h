// Dynamic loss scaling (torch.cuda.amp.GradScaler): the unscale + overflow check and the
// scale update. Every scalar is a pointer into the buffers' own memory (device memory for
// ss::cuda), so a training step never reads a value back to the host.
#pragma once
#include <cstdint>

namespace ss::cpu {
// bufs[k][i] *= *inv_scale for every buffer k < count of sizes[k] elements; sets
// *found_inf = 1 when any value (before scaling) is non-finite. *found_inf is never
// cleared here: the caller zeroes it once per step. (torch._amp_foreach_non_finite_check_and_unscale_)
template <class T>
void unscale_and_check(T* const* bufs, const int64_t* sizes, int count, const float* inv_scale,
                       float* found_inf);

// torch._amp_update_scale_: on overflow (*found_inf != 0) scale *= backoff and the
// tracker resets; otherwise the tracker counts finite steps and, when it reaches
// growth_interval, scale *= growth (kept only if finite) and the tracker resets.
// inv_scale (optional) receives float(1 / double(new scale)) for the next unscale.
void update_scale(float* scale, int32_t* growth_tracker, const float* found_inf, double growth,
                  double backoff, int32_t growth_interval, float* inv_scale);
}  // namespace ss::cpu

namespace ss::cuda {
// bufs and sizes are host arrays (of device pointers); inv_scale and found_inf are device
// pointers. One launch per 48 buffers; found_inf is only ever written with 1.f, so
// concurrent writers cannot make the result depend on scheduling.
void unscale_and_check(float* const* bufs, const int64_t* sizes, int count,
                       const float* inv_scale, float* found_inf);
// As cpu::update_scale; all pointers are device memory (one single-thread launch).
void update_scale(float* scale, int32_t* growth_tracker, const float* found_inf, double growth,
                  double backoff, int32_t growth_interval, float* inv_scale);
}  // namespace ss::cuda
