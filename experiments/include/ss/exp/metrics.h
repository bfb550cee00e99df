// Task metrics computed on the host from model outputs (REFERENCE §5).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ss::app {

// Running top-1 accuracy.
struct Accuracy {
  int64_t correct = 0, total = 0;
  // logits row-major [n, C]; labels [n]
  void add(const std::vector<float>& logits, const std::vector<int64_t>& labels, int C);
  double value() const { return total ? double(correct) / double(total) : 0.0; }
};

// Semantic segmentation: confusion matrix over classes, pixel accuracy and mean IoU
// (classes absent from both prediction and truth are left out of the mean).
struct SegMetrics {
  explicit SegMetrics(int classes) : C(classes), confusion(size_t(classes) * classes, 0) {}
  int C;
  std::vector<int64_t> confusion;  // [truth][pred]
  // logits [n, C, hw] (NCHW flattened), labels [n, hw]; labels < 0 are ignored.
  void add(const std::vector<float>& logits, const std::vector<int64_t>& labels, int64_t n,
           int64_t hw);
  double pixel_accuracy() const;
  double mean_iou() const;
};

// Depth: over pixels with mask != 0 and positive truth. Predictions are clamped to a small
// positive floor before ratios (a network can output <= 0).
struct DepthMetrics {
  double abs_sum = 0, sq_sum = 0;
  int64_t n = 0, d125 = 0, d110 = 0;
  void add(const std::vector<float>& pred, const std::vector<float>& truth,
           const std::vector<float>& mask);
  double l1() const { return n ? abs_sum / double(n) : 0.0; }
  double rmse() const;
  double delta125() const { return n ? double(d125) / double(n) : 0.0; }
  double delta110() const { return n ? double(d110) / double(n) : 0.0; }
};

}  // namespace ss::app
