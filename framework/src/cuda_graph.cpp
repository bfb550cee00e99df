#include "ss/cuda_graph.h"

#include "ss/allocator.h"
#include "ss/kernels/error.h"
#include "ss/kernels/runtime.h"

namespace ss {

namespace {
int g_graphs = 0;  // graphs alive in this process (all share the allocator's private pool)
}

CudaGraph::~CudaGraph() {
  if (handle_ < 0) return;
  cuda::graph_destroy(handle_);
  if (--g_graphs == 0) {
    try {
      CachingAllocator::for_device(Device::cuda()).release_private_pool();
    } catch (...) {  // a destructor: a failing sync leaves the memory reserved, nothing worse
    }
  }
}

void CudaGraph::capture(const std::function<void()>& step) {
  SS_CHECK(handle_ < 0, "CudaGraph: already captured");
  SS_CHECK(cuda_available(), "CudaGraph: no CUDA device: ", cuda::unavailable_reason());
  auto& alloc = CachingAllocator::for_device(Device::cuda());
  alloc.begin_private_pool();
  cuda::graph_begin_capture();
  try {
    step();
  } catch (...) {
    try {  // close the capture so the stream is usable again
      cuda::graph_destroy(cuda::graph_end_capture());
    } catch (...) {
    }
    alloc.end_private_pool();
    if (g_graphs == 0) {
      try {  // nothing replays what the failed capture allocated
        alloc.release_private_pool();
      } catch (...) {
      }
    }
    throw;
  }
  try {
    handle_ = cuda::graph_end_capture();
  } catch (...) {
    alloc.end_private_pool();
    throw;
  }
  ++g_graphs;
  alloc.end_private_pool();
}

void CudaGraph::replay() const {
  SS_CHECK(handle_ >= 0, "CudaGraph: replay before capture");
  cuda::graph_launch(handle_);
}

}  // namespace ss
