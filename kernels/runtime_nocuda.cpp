// CPU-only build: the CUDA runtime surface exists but reports that no device is present.
#include "ss/kernels/error.h"
#include "ss/kernels/runtime.h"

namespace ss::cuda {
bool compiled() { return false; }
int device_count() { return 0; }
std::string unavailable_reason() { return "this build has no CUDA backend (SS_WITH_CUDA=OFF)"; }
std::string device_name(int) { return "none"; }
size_t device_memory_total() { return 0; }
void* malloc_device(size_t) { SS_FAIL("no CUDA device: ", unavailable_reason()); }
void free_device(void*) {}
bool vm_supported() { return false; }
std::string vm_unsupported_reason() { return "no CUDA device: " + unavailable_reason(); }
void* vm_reserve(size_t) { SS_FAIL("no CUDA device: ", unavailable_reason()); }
void vm_release(void*, size_t) {}
void vm_map(void*, size_t) { SS_FAIL("no CUDA device: ", unavailable_reason()); }
void vm_unmap(void*, size_t) {}
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
// The settings are kept (and read back) so configuration code runs the same either way.
namespace {
bool g_bench = false, g_det = true, g_tf32 = false;
}
void set_conv_benchmark(bool on) { g_bench = on; }
bool conv_benchmark() { return g_bench; }
void set_deterministic(bool on) { g_det = on; }
bool deterministic() { return g_det; }
void set_allow_tf32(bool on) { g_tf32 = on; }
bool allow_tf32() { return g_tf32; }
}  // namespace ss::cuda
