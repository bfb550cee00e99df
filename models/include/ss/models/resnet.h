// The two backbones of the study (REFERENCE §3). Parameter names are the authors' /
// torchvision's: conv1.weight, bn1.*, layer1.0.conv1.weight, layer1.0.downsample.0.weight,
// layer1.0.downsample.1.running_mean, ... so their checkpoints load without renaming.
#pragma once
#include <array>
#include <memory>
#include <string>

#include "ss/models/backbone.h"
#include "ss/models/blocks.h"

namespace ss::models {

struct ResNet9Options {
  double width = 1.0;   // multiplies every channel count (scaled_channels)
  int in_channels = 3;  // CMC: 1 for L, 2 for ab
  // The authors' `is_half` (CMC) layout, which is not a uniform halving: stem 64, layer1 =
  // ConvBlock 64->64 + BasicBlock 64->128 (inner 64, 1x1 downsample), layer2 = ConvBlock
  // 128->128, layer3 = ConvBlock 128->512 + BasicBlock 512 (inner 256). About half the
  // parameters of the full net (3.25 M vs 6.57 M); the last stage keeps 512 channels.
  bool half = false;
};

// Myrtle ResNet9: stem conv3x3 + BN + ReLU (no pool); layer1 = ConvBlock + BasicBlock;
// layer2 = ConvBlock; layer3 = ConvBlock + BasicBlock. Output stride 8.
class ResNet9 : public Backbone {
 public:
  explicit ResNet9(const ResNet9Options& o = {});
  Tensor run_stage(int k, const Tensor& x) override;
  int stage_channels(int k) const override;
  int stage_stride(int k) const override;
  std::string arch() const override { return opts.half ? "resnet9_half" : "resnet9"; }

  ResNet9Options opts;
  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::shared_ptr<nn::Sequential> layer1, layer2, layer3;

 private:
  std::array<int, kNumStages> channels_{};
};

struct ResNet50Options {
  double width = 1.0;
  int in_channels = 3;
  // Dense tasks: layer4 trades its stride for dilation 2 (torchvision
  // replace_stride_with_dilation = [False, False, True]), output stride 8 instead of 16.
  bool dense = false;
  // The authors' `is_half`: bottleneck planes 32/64/128/256 instead of 64/.../512 (the
  // stem keeps 64 channels, as in their code).
  bool half = false;
};

// torchvision ResNet-50 ([3, 4, 6, 3] bottlenecks, expansion 4) with the 7x7 stride-2
// stem and no stem max-pool (the authors' skip_init_pool). No fc: see FeatureNet.
class ResNet50 : public Backbone {
 public:
  explicit ResNet50(const ResNet50Options& o = {});
  Tensor run_stage(int k, const Tensor& x) override;
  int stage_channels(int k) const override;
  int stage_stride(int k) const override;
  std::string arch() const override { return opts.half ? "resnet50_half" : "resnet50"; }

  ResNet50Options opts;
  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::array<std::shared_ptr<nn::Sequential>, 4> layers;  // layer1..layer4

 private:
  std::array<int, kNumStages> channels_{};
};

}  // namespace ss::models
