#include "ss/models/blocks.h"

#include "ss/ops.h"

namespace ss::models {

ConvBlock::ConvBlock(int in, int out, double celu_alpha) : alpha(celu_alpha) {
  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(in, out, 3, 1, 1));
  bn = register_module("bn", std::make_shared<nn::BatchNorm2d>(out));
}
Tensor ConvBlock::forward(const Tensor& x) {
  return bn->forward_act(max_pool2d((*conv1)(x)), Act::CELU, alpha);
}

std::shared_ptr<nn::Sequential> make_downsample(int in, int out, int stride) {
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(in, out, 1, stride, 0), std::make_shared<nn::BatchNorm2d>(out)});
}

BasicBlock::BasicBlock(int in, int mid, int out, std::shared_ptr<nn::Sequential> ds) {
  SS_CHECK(ds || in == out, "BasicBlock ", in, "->", out, " needs a downsample path");
  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(in, mid, 3, 1, 1));
  bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(mid));
  conv2 = register_module("conv2", std::make_shared<nn::Conv2d>(mid, out, 3, 1, 1));
  bn2 = register_module("bn2", std::make_shared<nn::BatchNorm2d>(out));
  if (ds) downsample = register_module("downsample", ds);
}
Tensor BasicBlock::forward(const Tensor& x) {
  Tensor h = bn1->forward_act((*conv1)(x), Act::ReLU);
  h = (*conv2)(h);
  return bn2->forward_act(h, Act::ReLU, 1.0, downsample ? (*downsample)(x) : x);
}

Bottleneck::Bottleneck(int in, int width, int out, int stride, int dilation,
                       std::shared_ptr<nn::Sequential> ds) {
  SS_CHECK(ds || (in == out && stride == 1), "Bottleneck ", in, "->", out, " stride ", stride,
           " needs a downsample path");
  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(in, width, 1));
  bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(width));
  // padding = dilation keeps the 3x3 output size (torchvision conv3x3)
  conv2 = register_module(
      "conv2", std::make_shared<nn::Conv2d>(width, width, 3, stride, dilation, dilation));
  bn2 = register_module("bn2", std::make_shared<nn::BatchNorm2d>(width));
  conv3 = register_module("conv3", std::make_shared<nn::Conv2d>(width, out, 1));
  bn3 = register_module("bn3", std::make_shared<nn::BatchNorm2d>(out));
  if (ds) downsample = register_module("downsample", ds);
}
Tensor Bottleneck::forward(const Tensor& x) {
  Tensor h = bn1->forward_act((*conv1)(x), Act::ReLU);
  h = bn2->forward_act((*conv2)(h), Act::ReLU);
  h = (*conv3)(h);
  return bn3->forward_act(h, Act::ReLU, 1.0, downsample ? (*downsample)(x) : x);
}

}  // namespace ss::models
