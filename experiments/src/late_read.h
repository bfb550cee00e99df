// A training step's results are read on the host one step late, after the next step is
// queued: on a GPU, reading them at once would drain the queue every step. push() queues
// a read-back of this step's values (one tensor, one copy, behind the step: PendingRead
// waits for that copy only) and hands the previous step's to the callback; flush() hands
// over the last ones (call it at the end of an epoch).
#pragma once
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "ss/readback.h"
#include "ss/tensor.h"

namespace ss::app {

class LateRead {
 public:
  using Use = std::function<void(const std::vector<double>& values, int64_t step)>;
  explicit LateRead(Use use) : use_(std::move(use)) {}
  void push(const Tensor& values, int64_t step) {
    PendingRead next(values);
    flush();
    pending_ = std::move(next);
    step_ = step;
  }
  void flush() {
    if (!pending_.valid()) return;
    use_(pending_.get(), step_);
  }

 private:
  Use use_;
  PendingRead pending_;
  int64_t step_ = 0;
};

}  // namespace ss::app
