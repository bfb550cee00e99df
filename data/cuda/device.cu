// Pinned staging memory, events and async host-to-device copies on the engine's stream.
#include <cuda_runtime.h>

#include <cstdio>

#include "ss/data/gpu.h"
#include "ss/kernels/error.h"

namespace ss::cuda {
cudaStream_t stream();
}

namespace ss::data::gpu {

namespace {
void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess) SS_FAIL("CUDA error ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ") in ", call);
}
void report(cudaError_t e, const char* call) {
  if (e != cudaSuccess) std::fprintf(stderr, "selfstudy: CUDA error %s in %s (ignored)\n", cudaGetErrorName(e), call);
}
}  // namespace

bool compiled() { return true; }

void* host_alloc_pinned(size_t bytes) {
  if (bytes == 0) return nullptr;
  ss::cuda::stream();  // clear "no CUDA device" error before touching the driver
  void* p = nullptr;
  check(cudaHostAlloc(&p, bytes, cudaHostAllocDefault), "cudaHostAlloc");
  return p;
}

void host_free_pinned(void* p) {
  if (p) report(cudaFreeHost(p), "cudaFreeHost");
}

void* event_create() {
  cudaEvent_t e = nullptr;
  check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
  return e;
}

void event_destroy(void* e) {
  if (e) report(cudaEventDestroy(static_cast<cudaEvent_t>(e)), "cudaEventDestroy");
}

void event_record(void* e) { check(cudaEventRecord(static_cast<cudaEvent_t>(e), ss::cuda::stream()), "cudaEventRecord"); }

void event_wait(void* e) { check(cudaEventSynchronize(static_cast<cudaEvent_t>(e)), "cudaEventSynchronize"); }

void copy_h2d_async(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ss::cuda::stream()), "cudaMemcpyAsync");
}

void synchronize() { check(cudaStreamSynchronize(ss::cuda::stream()), "cudaStreamSynchronize"); }

}  // namespace ss::data::gpu
