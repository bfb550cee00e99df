// The data pipeline's CUDA surface (implemented in data/cuda/*.cu when SS_WITH_CUDA,
// stubs that throw "no CUDA backend" otherwise), so callers need no #ifdefs. All work is
// queued on the engine's stream (ss::cuda::stream()), so it is ordered with training.
// Pointers are device pointers unless named host_*.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ss/data/augment_core.h"

namespace ss::data::gpu {

bool compiled();

// Page-locked host memory, for staging batches that are copied asynchronously.
void* host_alloc_pinned(size_t bytes);
void host_free_pinned(void* p);  // never throws

// Events mark when an async copy out of a staging buffer has finished.
void* event_create();
void event_destroy(void* e);  // never throws
void event_record(void* e);   // on the engine stream
void event_wait(void* e);     // host waits
void copy_h2d_async(void* dst, const void* host_src, size_t bytes);
void synchronize();

// Augmentation kernels (same rules as the CPU path in augment_core.h).
void augment_images(const AugParams* params, int64_t n, int res, const float* in, float* out);
void augment_dense(const AugParams* params, int64_t n, int res, const uint8_t* in, uint8_t* out);
void decode_dense(const AugParams* params, int64_t n, int res, const uint8_t* in, int out_size,
                  int64_t* seg, int64_t* inst, float* depth, float* mask);

// sRGB [0,1] planes <-> normalised LAB planes (n images of 3 x plane floats).
void srgb_to_lab(const float* rgb, float* lab, int64_t n, int64_t plane);
void lab_to_srgb(const float* lab, float* rgb, int64_t n, int64_t plane);

}  // namespace ss::data::gpu
