#include "ss/models/backbone.h"

#include <cmath>

#include "ss/autograd.h"

namespace ss::models {

int scaled_channels(int channels, double width) {
  SS_CHECK(width > 0 && std::isfinite(width), "width multiplier must be positive, got ", width);
  return std::max(8, int(std::lround(channels * width)));
}

std::vector<Tensor> Backbone::forward_stages(const Tensor& x, int freeze_at) {
  SS_CHECK(freeze_at >= 0 && freeze_at <= kNumStages, "freeze_at must be in [0, ", kNumStages,
           "], got ", freeze_at);
  SS_CHECK(x.dim() == 4, arch(), ": input must be [N, C, H, W], got ", x.desc());
  std::vector<Tensor> out;
  out.reserve(kNumStages);
  Tensor h = x;
  for (int k = 1; k <= kNumStages; ++k) {
    if (k <= freeze_at) {
      // Frozen: no history is recorded at all (cheaper than building a graph and then
      // cutting it), and the detach makes the cut explicit for callers.
      NoGradGuard ng;
      h = run_stage(k, h);
      if (k == freeze_at) h = detach(h);
    } else {
      h = run_stage(k, h);
    }
    out.push_back(h);
  }
  return out;
}

namespace {
void init_rec(nn::Module& m) {
  if (auto* c = dynamic_cast<nn::Conv2d*>(&m)) {
    nn::init_kaiming_normal_fan_out(c->weight);
    // torch leaves a conv bias at its default; none of our convs has one
  }
  for (auto& [name, child] : m.children()) init_rec(*child);
}
}  // namespace

void init_backbone(nn::Module& m) {
  init_rec(m);
}

}  // namespace ss::models
