// Residual building blocks. Child names follow the authors' models/resnet.py (itself
// torchvision's resnet.py plus a ConvBlock), so their checkpoints map 1:1:
//   ConvBlock : conv1, bn                      (conv3x3 -> maxpool 2x2 -> BN -> CELU(0.075))
//   BasicBlock: conv1, bn1, conv2, bn2[, downsample.0 (conv1x1), downsample.1 (BN)]
//   Bottleneck: conv1, bn1, conv2, bn2, conv3, bn3[, downsample.0, downsample.1]
#pragma once
#include <memory>

#include "ss/nn.h"

namespace ss::models {

// Myrtle ResNet9 down-sampling block. The authors' ConvBlock only pools when built with
// stride 2, which every ResNet9 use does, so pooling is unconditional here.
class ConvBlock : public nn::Module {
 public:
  ConvBlock(int in, int out, double celu_alpha = 0.075);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn;
  double alpha;
};

// 1x1 conv (stride s) + BN on the identity path when a block changes shape.
std::shared_ptr<nn::Sequential> make_downsample(int in, int out, int stride);

// conv3x3-BN-ReLU-conv3x3-BN + identity, ReLU. `mid` is the inner width: the authors'
// `is_half` variant uses planes / 2 there.
class BasicBlock : public nn::Module {
 public:
  BasicBlock(int in, int mid, int out, std::shared_ptr<nn::Sequential> downsample = nullptr);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Conv2d> conv1, conv2;
  std::shared_ptr<nn::BatchNorm2d> bn1, bn2;
  std::shared_ptr<nn::Sequential> downsample;
};

// torchvision v1.5 bottleneck: 1x1 (in->width) / 3x3 (stride, dilation) / 1x1 (->out),
// the stride sits on the 3x3 conv.
class Bottleneck : public nn::Module {
 public:
  Bottleneck(int in, int width, int out, int stride, int dilation,
             std::shared_ptr<nn::Sequential> downsample = nullptr);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Conv2d> conv1, conv2, conv3;
  std::shared_ptr<nn::BatchNorm2d> bn1, bn2, bn3;
  std::shared_ptr<nn::Sequential> downsample;
};

}  // namespace ss::models
