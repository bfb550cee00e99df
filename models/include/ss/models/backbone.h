// Backbone: a convolutional trunk split into four stages, so that `freeze_at_k` (REFERENCE
// §3) can cut the gradient after stage k. Stage boundaries per architecture:
//   resnet9  : 1 = stem (conv1, bn1, relu)   2 = layer1   3 = layer2   4 = layer3
//   resnet50 : 1 = stem + layer1             2 = layer2   3 = layer3   4 = layer4
// The authors' code detaches after layer i+1 for their freeze index i (ResNet9 has three
// layers there), so their i maps to our k = i + 1 on ResNet50 and k = i + 2 on ResNet9;
// ResNet9's k = 1 (stem only) has no counterpart in their code.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ss/nn.h"

namespace ss::models {

inline constexpr int kNumStages = 4;

// A channel count scaled by the width multiplier (small CPU presets): rounded to nearest,
// at least 8 so that no layer degenerates.
int scaled_channels(int channels, double width);

class Backbone : public nn::Module {
 public:
  // Runs stage k (1-based) on the previous stage's output (the image for k = 1).
  virtual Tensor run_stage(int k, const Tensor& x) = 0;
  virtual int stage_channels(int k) const = 0;
  // Cumulative down-sampling factor of stage k's output relative to the input image.
  virtual int stage_stride(int k) const = 0;
  virtual std::string arch() const = 0;

  // All four stage outputs. Stages 1..freeze_at run without recording autograd history
  // and stage freeze_at's output is detached, so they get no gradient (BatchNorm running
  // statistics in those stages still update in training mode, as in the authors' code,
  // where the detach is the only thing freezing does).
  std::vector<Tensor> forward_stages(const Tensor& x, int freeze_at = 0);
  Tensor forward(const Tensor& x) override { return forward_stages(x, 0).back(); }
  int out_channels() const { return stage_channels(kNumStages); }
};

// Kaiming normal (fan_out, relu gain) for every Conv2d below `m`; BatchNorm keeps its
// constructor values (weight 1, bias 0). Linear layers are not touched (PyTorch default).
void init_backbone(nn::Module& m);

}  // namespace ss::models
