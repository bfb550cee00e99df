// A CUDA graph of one fixed-shape step (forward, backward, optimizer): captured once,
// replayed with a single launch, so the per-kernel launch cost of an eager step is paid
// once. What capture freezes: shapes, every address (inputs are copied into the same
// tensors before each replay; results are read from the tensors the captured step made)
// and host-side scalars passed to kernels (a learning rate set on the host stays the
// captured one). Run the step eagerly at least once first, so cuDNN algorithms, the kernel
// workspace and the optimizer state exist; capture then fails loudly on anything that
// would wait for the device. One graph at a time per process (its memory pool is shared);
// destroying the last one hands the pool's memory back.
#pragma once
#include <functional>

namespace ss {

class CudaGraph {
 public:
  CudaGraph() = default;
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  // Records step() (nothing runs yet). Throws, leaving no capture open, if step() does.
  void capture(const std::function<void()>& step);
  void replay() const;  // queues the recorded step on the CUDA stream
  bool captured() const { return handle_ >= 0; }

 private:
  int handle_ = -1;
};

}  // namespace ss
