// CPU-only build: the data pipeline's CUDA surface exists but says there is no backend.
#include "ss/data/gpu.h"
#include "ss/kernels/error.h"

namespace ss::data::gpu {
namespace {
[[noreturn]] void none() { SS_FAIL("no CUDA device: this build has no CUDA backend (SS_WITH_CUDA=OFF)"); }
}  // namespace
bool compiled() { return false; }
void* host_alloc_pinned(size_t) { none(); }
void host_free_pinned(void*) {}
void* event_create() { none(); }
void event_destroy(void*) {}
void event_record(void*) { none(); }
void event_wait(void*) { none(); }
void copy_h2d_async(void*, const void*, size_t) { none(); }
void synchronize() {}
void augment_images(const AugParams*, int64_t, int, const float*, float*) { none(); }
void augment_dense(const AugParams*, int64_t, int, const uint8_t*, uint8_t*) { none(); }
void decode_dense(const AugParams*, int64_t, int, const uint8_t*, int, int64_t*, int64_t*, float*, float*) {
  none();
}
void srgb_to_lab(const float*, float*, int64_t, int64_t) { none(); }
void lab_to_srgb(const float*, float*, int64_t, int64_t) { none(); }
}  // namespace ss::data::gpu
