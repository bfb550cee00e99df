#include "ss/models/resnet.h"

#include "ss/ops.h"

namespace ss::models {

ResNet9::ResNet9(const ResNet9Options& o) : opts(o) {
  SS_CHECK(o.in_channels >= 1, "resnet9: in_channels must be >= 1, got ", o.in_channels);
  auto s = [&](int c) { return scaled_channels(c, o.width); };
  // Widths as in the authors' ResNet(is_resnet9=True): mid_f = 256 (full) or 128 (half).
  const int stem = s(64);
  const int l1_in = o.half ? s(64) : s(128);  // ConvBlock(64, mid_f // 2)
  const int l1 = s(128);
  const int l1_mid = o.half ? s(64) : s(128);  // BasicBlock midplanes = planes // 2 if half
  const int l2 = o.half ? s(128) : s(256);     // ConvBlock(128, mid_f)
  const int l3 = s(512);
  const int l3_mid = o.half ? s(256) : s(512);

  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(o.in_channels, stem, 3, 1, 1));
  bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(stem));
  layer1 = register_module("layer1", std::make_shared<nn::Sequential>());
  layer1->push_back(std::make_shared<ConvBlock>(stem, l1_in));
  // The half layout always has the 1x1 downsample (64 -> 128), even where a small width
  // multiplier makes both sides equal, so parameter names do not depend on the width.
  layer1->push_back(std::make_shared<BasicBlock>(l1_in, l1_mid, l1,
                                                 o.half ? make_downsample(l1_in, l1, 1) : nullptr));
  layer2 = register_module("layer2", std::make_shared<nn::Sequential>());
  layer2->push_back(std::make_shared<ConvBlock>(l1, l2));
  layer3 = register_module("layer3", std::make_shared<nn::Sequential>());
  layer3->push_back(std::make_shared<ConvBlock>(l2, l3));
  layer3->push_back(std::make_shared<BasicBlock>(l3, l3_mid, l3));
  channels_ = {stem, l1, l2, l3};
  init_backbone(*this);
}

Tensor ResNet9::run_stage(int k, const Tensor& x) {
  switch (k) {
    case 1:
      return bn1->forward_act((*conv1)(x), Act::ReLU);
    case 2:
      return (*layer1)(x);
    case 3:
      return (*layer2)(x);
    case 4:
      return (*layer3)(x);
  }
  SS_FAIL("resnet9: no stage ", k);
}

int ResNet9::stage_channels(int k) const {
  SS_CHECK(k >= 1 && k <= kNumStages, "resnet9: no stage ", k);
  return channels_[k - 1];
}
int ResNet9::stage_stride(int k) const {
  SS_CHECK(k >= 1 && k <= kNumStages, "resnet9: no stage ", k);
  return 1 << (k - 1);  // each ConvBlock halves the map
}

}  // namespace ss::models
