// A tensor's values read back to the host later, waiting only for that copy. On a GPU a
// plain read (to_vector, item) waits for every kernel queued so far, so a loop that reads
// a step's loss after queuing the next step would still drain the queue each step; this
// read is queued behind the step that made the values and collected by get(). CPU tensors
// are read at once.
#pragma once
#include <vector>

#include "ss/tensor.h"

namespace ss {

class PendingRead {
 public:
  PendingRead() = default;
  explicit PendingRead(const Tensor& t);  // at most 8192 values on a GPU; 8 open at a time
  ~PendingRead();
  PendingRead(PendingRead&& o) noexcept;
  PendingRead& operator=(PendingRead&& o) noexcept;
  PendingRead(const PendingRead&) = delete;
  PendingRead& operator=(const PendingRead&) = delete;

  bool valid() const { return valid_; }
  // Waits for the copy and returns the values as doubles; the read is then spent.
  std::vector<double> get();

 private:
  void release() noexcept;
  bool valid_ = false;
  int ticket_ = -1;  // an open device read-back, or -1 (values already in host_)
  DType dtype_ = DType::F64;
  size_t count_ = 0;
  std::vector<double> host_;
};

}  // namespace ss
