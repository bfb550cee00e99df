#include "ss/models/resnet.h"

#include "ss/ops.h"

namespace ss::models {

ResNet50::ResNet50(const ResNet50Options& o) : opts(o) {
  SS_CHECK(o.in_channels >= 1, "resnet50: in_channels must be >= 1, got ", o.in_channels);
  auto s = [&](int c) { return scaled_channels(c, o.width); };
  constexpr int kExpansion = 4;
  const int blocks[4] = {3, 4, 6, 3};
  const int base = o.half ? 32 : 64;

  int inplanes = s(64);
  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(o.in_channels, inplanes, 7, 2, 3));
  bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(inplanes));

  // torchvision _make_layer, including its dilation bookkeeping: with dilate the stage's
  // stride becomes 1 and the running dilation doubles, but the stage's FIRST block still
  // uses the previous dilation (1); only the following blocks are dilated.
  int dilation = 1;
  for (int i = 0; i < 4; ++i) {
    const int planes = s(base << i);
    const int out = planes * kExpansion;
    int stride = i == 0 ? 1 : 2;
    const bool dilate = o.dense && i == 3;
    const int previous_dilation = dilation;
    if (dilate) {
      dilation *= stride;
      stride = 1;
    }
    auto layer = std::make_shared<nn::Sequential>();
    std::shared_ptr<nn::Sequential> ds;
    if (stride != 1 || inplanes != out) ds = make_downsample(inplanes, out, stride);
    layer->push_back(
        std::make_shared<Bottleneck>(inplanes, planes, out, stride, previous_dilation, ds));
    inplanes = out;
    for (int b = 1; b < blocks[i]; ++b)
      layer->push_back(std::make_shared<Bottleneck>(inplanes, planes, out, 1, dilation));
    layers[i] = register_module("layer" + std::to_string(i + 1), layer);
    channels_[i] = out;
  }
  init_backbone(*this);
}

Tensor ResNet50::run_stage(int k, const Tensor& x) {
  SS_CHECK(k >= 1 && k <= kNumStages, "resnet50: no stage ", k);
  if (k == 1) return (*layers[0])(bn1->forward_act((*conv1)(x), Act::ReLU));  // no stem max-pool
  return (*layers[k - 1])(x);
}

int ResNet50::stage_channels(int k) const {
  SS_CHECK(k >= 1 && k <= kNumStages, "resnet50: no stage ", k);
  return channels_[k - 1];
}
int ResNet50::stage_stride(int k) const {
  SS_CHECK(k >= 1 && k <= kNumStages, "resnet50: no stage ", k);
  const int strides[4] = {2, 4, 8, 16};
  return (opts.dense && k == 4) ? 8 : strides[k - 1];
}

}  // namespace ss::models
