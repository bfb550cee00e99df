// The downstream tasks (REFERENCE §5): what heads a model needs, the loss on a batch, and
// the metrics. "classify" trains the classification and pose heads together (summed CE)
// and reports both accuracies; "segment" is per-pixel CE at 16x16 (pixel accuracy, mIoU);
// "depth" is masked L1 (delta<1.25, delta<1.1, RMSE, L1).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ss/data/loader.h"
#include "ss/tensor.h"

namespace ss::app {

class TaskMetrics {
 public:
  virtual ~TaskMetrics() = default;
  virtual void add(const std::vector<Tensor>& logits, const data::Batch& b) = 0;
  virtual std::map<std::string, double> values() const = 0;
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual std::vector<int> head_sizes() const = 0;
  virtual bool dense() const = 0;
  virtual Tensor loss(const std::vector<Tensor>& logits, const data::Batch& b) const = 0;
  virtual std::unique_ptr<TaskMetrics> metrics() const = 0;
  // The metric used for model selection (higher is better).
  virtual std::string primary() const = 0;
};

std::unique_ptr<Task> make_task(const std::string& name);  // classify | segment | depth
std::vector<std::string> task_names();

}  // namespace ss::app
