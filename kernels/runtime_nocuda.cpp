// CPU-only build: the CUDA runtime surface exists but reports that no device is present.
#include "ss/kernels/error.h"
#include "ss/kernels/runtime.h"

namespace ss::cuda {
bool compiled() { return false; }
int device_count() { return 0; }
std::string unavailable_reason() { return "this build has no CUDA backend (SS_WITH_CUDA=OFF)"; }
std::string device_name(int) { return "none"; }
void* malloc_device(size_t) { SS_FAIL("no CUDA device: ", unavailable_reason()); }
void free_device(void*) {}
void memcpy_h2d(void*, const void*, size_t) { SS_FAIL("no CUDA device: ", unavailable_reason()); }
void memcpy_d2h(void*, const void*, size_t) { SS_FAIL("no CUDA device: ", unavailable_reason()); }
void memcpy_d2d(void*, const void*, size_t) { SS_FAIL("no CUDA device: ", unavailable_reason()); }
void memset_zero(void*, size_t) { SS_FAIL("no CUDA device: ", unavailable_reason()); }
int readback_start(const void*, size_t) { SS_FAIL("no CUDA device: ", unavailable_reason()); }
void readback_finish(int, void*) {}
void synchronize() {}
size_t mem_used_peak() { return 0; }
void graph_begin_capture() { SS_FAIL("no CUDA device: ", unavailable_reason()); }
int graph_end_capture() { SS_FAIL("no CUDA device: ", unavailable_reason()); }
void graph_launch(int) { SS_FAIL("no CUDA device: ", unavailable_reason()); }
void graph_destroy(int) {}
bool capturing() { return false; }
}  // namespace ss::cuda
