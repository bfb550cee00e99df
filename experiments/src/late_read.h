// A training step's results are read on the host one step late, after the next step is
// queued: on a GPU, reading them at once would drain the queue every step. push() queues
// this step's values (one tensor, read back in one copy) and hands the previous step's to
// the callback; flush() hands over the last ones (call it at the end of an epoch).
#pragma once
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "ss/tensor.h"

namespace ss::app {

class LateRead {
 public:
  using Use = std::function<void(const std::vector<double>& values, int64_t step)>;
  explicit LateRead(Use use) : use_(std::move(use)) {}
  void push(Tensor values, int64_t step) {
    flush();
    pending_ = std::move(values);
    step_ = step;
  }
  void flush() {
    if (!pending_.defined()) return;
    const Tensor t = std::move(pending_);
    pending_ = Tensor();
    use_(t.to_vector<double>(), step_);
  }

 private:
  Use use_;
  Tensor pending_;
  int64_t step_ = 0;
};

}  // namespace ss::app
