// CUDA runtime services visible to the framework: device discovery, memory, copies,
// and the per-process stream/handles. In a CPU-only build these are stubs that report
// "no CUDA device", so callers need no #ifdefs.
#pragma once
#include <cstddef>
#include <string>

namespace ss::cuda {
bool compiled();             // built with the CUDA backend
int device_count();          // 0 when no driver/GPU (never throws)
std::string unavailable_reason();  // why device_count() is 0, for one clear message
std::string device_name(int dev);
size_t device_memory_total();  // bytes on the current device (0 without one)
void* malloc_device(size_t bytes);  // throws ss::Error on OOM naming the size
void free_device(void* p);
// Device virtual memory, for the caching allocator's growable heaps: an address range is
// reserved once and kVmPage-aligned pages of it are backed with memory on demand.
constexpr size_t kVmPage = size_t(2) << 20;
bool vm_supported();  // a device whose driver has the VMM API
std::string vm_unsupported_reason();
void* vm_reserve(size_t bytes);
void vm_release(void* base, size_t bytes);  // the whole range; its mapped pages unmapped first
void vm_map(void* addr, size_t bytes);    // throws ss::Error on OOM, leaving nothing mapped
void vm_unmap(void* addr, size_t bytes);  // pages of the range not mapped are skipped
// Both return once src may be reused. An upload of up to 256 KiB is queued on the stream
// from a page-locked staging ring without waiting for the device; larger uploads and
// every read-back wait (SS_CUDA_SYNC_H2D=1: every upload waits).
void memcpy_h2d(void* dst, const void* src, size_t bytes);
void memcpy_d2h(void* dst, const void* src, size_t bytes);
void memcpy_d2d(void* dst, const void* src, size_t bytes);
// A read-back that waits only for itself: readback_start queues a copy of up to 64 KiB of
// device memory into a page-locked slot (behind the work already queued) and returns a
// ticket; readback_finish(ticket, dst) waits for that copy alone, not for the work queued
// after it (memcpy_d2h waits for the whole stream), copies it to dst and frees the slot
// (dst == nullptr: only frees it). At most 8 tickets are open at a time.
int readback_start(const void* src, size_t bytes);
void readback_finish(int ticket, void* dst);
void memset_zero(void* p, size_t bytes);
void synchronize();
size_t mem_used_peak();  // bytes, from the device allocator's view

// CUDA graphs: everything issued to our stream between graph_begin_capture and
// graph_end_capture is recorded (not run) and replayed by graph_launch. Nothing in between
// may wait for the device (host reads, workspace growth): such calls fail with a clear
// error. capturing() lets host-side checks that would read device memory stand aside.
void graph_begin_capture();
int graph_end_capture();  // a handle for graph_launch / graph_destroy
void graph_launch(int handle);
void graph_destroy(int handle);
bool capturing();

// cuDNN convolution settings (no effect without CUDA). Each geometry's algorithms are
// chosen on its first use under the settings of that moment.
// * conv_benchmark: time cuDNN's candidates on the device (cudnnFind*, as
//   torch.backends.cudnn.benchmark) instead of trusting its heuristics' ranking. Off by
//   default: the choice can then differ from run to run.
// * deterministic (default on): only algorithms without atomics, so repeated runs give
//   identical bits.
// * allow_tf32 (default off): TF32 tensor-core math for fp32 convolutions and GEMMs
//   (~1e-3 relative error), which otherwise match the CPU to fp32 rounding.
void set_conv_benchmark(bool on);
bool conv_benchmark();
void set_deterministic(bool on);
bool deterministic();
void set_allow_tf32(bool on);
bool allow_tf32();
}  // namespace ss::cuda
