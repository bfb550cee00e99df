// Per-process CUDA context shared by every kernel file: one stream, cuBLAS/cuDNN handles
// bound to it, a grow-only workspace, math-mode switches, launch helpers and NVTX ranges.
// Internal to kernels/cuda (it needs the CUDA headers); the framework talks to runtime.h.
//
// Threading: handles and the workspace are created under a lock, but ops are meant to be
// issued from one host thread at a time: they all share the stream and the workspace.
#pragma once
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cuda_check.h"
#include "ss/kernels/env.h"  // env_value / env_flag for the SS_* switches
#include "ss/kernels/runtime.h"

namespace ss::cuda {

// The one stream all kernels, copies and library calls go to. Created on first use;
// throws "no CUDA device: ..." when none is usable.
cudaStream_t stream();
cublasHandle_t cublas();
cudnnHandle_t cudnn();

// Scratch device memory valid until the next workspace() call. Stream order makes reuse
// across ops safe; growing waits for the stream, then frees the old block (cudaFree).
void* workspace(size_t bytes);
// fn (or nullptr) is called when growing the workspace runs out of memory, to release
// memory cached elsewhere (the framework's caching allocator) before one retry.
void set_release_cached_hook(void (*fn)());

size_t mem_used_current();  // bytes held through malloc_device and vm_map (workspace included)
void note_device_bytes(int64_t delta);  // vm_map/vm_unmap: count their pages as held
void reset_mem_peak();      // peak := current


// Launch geometry. Elementwise kernels use grid-stride loops, so the grid cap only bounds
// the launch size; it never changes results.
constexpr int kThreads = 256;
inline unsigned grid_for(int64_t n, int threads = kThreads, int64_t cap = 8192) {
  const int64_t blocks = (n + threads - 1) / threads;
  return unsigned(std::max<int64_t>(1, std::min(blocks, cap)));
}

// Blocks of kThreads threads that fit on the device at once (SMs x blocks per SM for this
// kernel's registers): the grid of a kernel that loops over rows and loads per-thread
// state once, so every thread gets as many rows as possible.
unsigned resident_grid(const void* kernel);
int sm_count();  // of the current device, queried once

// Scoped NVTX range so Nsight timelines read like the model; free when no tool is attached.
class NvtxRange {
 public:
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;
};

}  // namespace ss::cuda
