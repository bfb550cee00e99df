#include "ss/exp/metrics.h"

#include <algorithm>
#include <cmath>

namespace ss::app {

void Accuracy::add(const std::vector<float>& logits, const std::vector<int64_t>& labels, int C) {
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* row = logits.data() + i * size_t(C);
    const int best = int(std::max_element(row, row + C) - row);
    correct += best == labels[i];
    ++total;
  }
}

void SegMetrics::add(const std::vector<float>& logits, const std::vector<int64_t>& labels,
                     int64_t n, int64_t hw) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t p = 0; p < hw; ++p) {
      const int64_t t = labels[size_t(b * hw + p)];
      if (t < 0 || t >= C) continue;
      int best = 0;
      float bv = logits[size_t((b * C) * hw + p)];
      for (int c = 1; c < C; ++c) {
        const float v = logits[size_t((b * C + c) * hw + p)];
        if (v > bv) bv = v, best = c;
      }
      confusion[size_t(t * C + best)]++;
    }
}

double SegMetrics::pixel_accuracy() const {
  int64_t diag = 0, total = 0;
  for (int i = 0; i < C; ++i)
    for (int j = 0; j < C; ++j) {
      total += confusion[size_t(i * C + j)];
      if (i == j) diag += confusion[size_t(i * C + j)];
    }
  return total ? double(diag) / double(total) : 0.0;
}

double SegMetrics::mean_iou() const {
  double sum = 0;
  int present = 0;
  for (int c = 0; c < C; ++c) {
    int64_t tp = confusion[size_t(c * C + c)], row = 0, col = 0;
    for (int j = 0; j < C; ++j) row += confusion[size_t(c * C + j)], col += confusion[size_t(j * C + c)];
    const int64_t uni = row + col - tp;
    if (uni == 0) continue;
    sum += double(tp) / double(uni);
    ++present;
  }
  return present ? sum / present : 0.0;
}

void DepthMetrics::add(const std::vector<float>& pred, const std::vector<float>& truth,
                       const std::vector<float>& mask) {
  for (size_t i = 0; i < truth.size(); ++i) {
    if ((!mask.empty() && mask[i] == 0.f) || !(truth[i] > 0.f)) continue;
    const double t = truth[i], p = std::max(double(pred[i]), 1e-3);
    abs_sum += std::abs(p - t);
    sq_sum += (p - t) * (p - t);
    const double r = std::max(p / t, t / p);
    d125 += r < 1.25;
    d110 += r < 1.10;
    ++n;
  }
}

double DepthMetrics::rmse() const { return n ? std::sqrt(sq_sum / double(n)) : 0.0; }

}  // namespace ss::app
