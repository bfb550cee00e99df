#include "ss/exp/task.h"

#include "ss/exp/metrics.h"
#include "ss/ops.h"

namespace ss::app {
namespace {

constexpr int kClasses = 10, kPoses = 5, kSegClasses = 11;

class ClassifyMetrics : public TaskMetrics {
 public:
  void add(const std::vector<Tensor>& logits, const data::Batch& b) override {
    cls_.add(logits[0].to_vector<float>(), b.y_class.to_vector<int64_t>(), kClasses);
    if (b.y_pose.defined()) pose_.add(logits[1].to_vector<float>(), b.y_pose.to_vector<int64_t>(), kPoses);
  }
  std::map<std::string, double> values() const override {
    std::map<std::string, double> v{{"class_accuracy", cls_.value()}};
    if (pose_.total) v["pose_accuracy"] = pose_.value();
    return v;
  }

 private:
  Accuracy cls_, pose_;
};

class Classify : public Task {
 public:
  std::string name() const override { return "classify"; }
  std::vector<int> head_sizes() const override { return {kClasses, kPoses}; }
  bool dense() const override { return false; }
  Tensor loss(const std::vector<Tensor>& logits, const data::Batch& b) const override {
    SS_CHECK(b.y_class.defined(), "classify: the data file has no class targets (a multi-object file?)");
    Tensor l = cross_entropy(logits[0], b.y_class);
    if (b.y_pose.defined()) l = add(l, cross_entropy(logits[1], b.y_pose));
    return l;
  }
  std::unique_ptr<TaskMetrics> metrics() const override { return std::make_unique<ClassifyMetrics>(); }
  std::string primary() const override { return "class_accuracy"; }
};

class SegmentMetrics : public TaskMetrics {
 public:
  void add(const std::vector<Tensor>& logits, const data::Batch& b) override {
    const Tensor& l = logits[0];
    m_.add(l.to_vector<float>(), b.y_seg.to_vector<int64_t>(), l.size(0), l.size(2) * l.size(3));
  }
  std::map<std::string, double> values() const override {
    return {{"pixel_accuracy", m_.pixel_accuracy()}, {"mean_iou", m_.mean_iou()}};
  }

 private:
  SegMetrics m_{kSegClasses};
};

void check_dense_shapes(const char* task, const Tensor& logits, const Tensor& target) {
  SS_CHECK(target.defined(), task, ": the data file has no dense targets (a single-object file?)");
  SS_CHECK(logits.size(2) == target.size(-2) && logits.size(3) == target.size(-1), task,
           ": head output ", logits.desc(), " does not match targets ", target.desc(),
           " (dense heads work on 16x16 maps: use 128 px multi-object data)");
}

class Segment : public Task {
 public:
  std::string name() const override { return "segment"; }
  std::vector<int> head_sizes() const override { return {kSegClasses}; }
  bool dense() const override { return true; }
  Tensor loss(const std::vector<Tensor>& logits, const data::Batch& b) const override {
    check_dense_shapes("segment", logits[0], b.y_seg);
    return cross_entropy(logits[0], b.y_seg, -100);
  }
  std::unique_ptr<TaskMetrics> metrics() const override { return std::make_unique<SegmentMetrics>(); }
  std::string primary() const override { return "pixel_accuracy"; }
};

class DepthMetricsAdapter : public TaskMetrics {
 public:
  void add(const std::vector<Tensor>& logits, const data::Batch& b) override {
    m_.add(logits[0].to_vector<float>(), b.y_depth.to_vector<float>(), b.depth_mask.to_vector<float>());
  }
  std::map<std::string, double> values() const override {
    return {{"delta_1.25", m_.delta125()}, {"delta_1.1", m_.delta110()}, {"rmse", m_.rmse()},
            {"l1", m_.l1()}};
  }

 private:
  DepthMetrics m_;
};

class Depth : public Task {
 public:
  std::string name() const override { return "depth"; }
  std::vector<int> head_sizes() const override { return {1}; }
  bool dense() const override { return true; }
  Tensor loss(const std::vector<Tensor>& logits, const data::Batch& b) const override {
    check_dense_shapes("depth", logits[0], b.y_depth);
    // Background pixels (no depth in the file) are masked out of the loss and metrics.
    return l1_loss(logits[0], b.y_depth, b.depth_mask);
  }
  std::unique_ptr<TaskMetrics> metrics() const override { return std::make_unique<DepthMetricsAdapter>(); }
  std::string primary() const override { return "delta_1.25"; }
};

}  // namespace

std::vector<std::string> task_names() { return {"classify", "segment", "depth"}; }

std::unique_ptr<Task> make_task(const std::string& name) {
  if (name == "classify") return std::make_unique<Classify>();
  if (name == "segment") return std::make_unique<Segment>();
  if (name == "depth") return std::make_unique<Depth>();
  SS_FAIL("unknown task '", name, "' (expected classify, segment or depth)");
}

}  // namespace ss::app
