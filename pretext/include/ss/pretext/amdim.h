// AMDIM (REFERENCE §4, the authors' models/amdim.py + tasks/amdim.py). Both augmented
// views run through the encoder as one batch of 2B (shared BN statistics, as the authors
// stack them). Features per view:
//   r1: the pooled feature (out_feats = D)
//   r5: stage-4 map (ResNet9: layer3, 8x8 at 64 px) -> adaptive avg pool 5x5 -> 1x1 conv to D
//   r7: stage-3 map (ResNet9: layer2, 16x16 at 64 px) -> adaptive avg pool 7x7 -> 1x1 conv to D
// (pooling before the 1x1 conv equals the authors' conv-then-pool: both are linear). The
// authors take r5 from layer3's ConvBlock output (before its BasicBlock) on ResNet9; we use
// the stage output (after it), the same place as on ResNet50. Loss: amdim_loss (losses.h),
// r5 -> r5 source = one random location per image (seeded). Metric "acc": r1 -> r5
// image retrieval accuracy within the batch (chance 1/B).
#pragma once
#include <memory>

#include "ss/pretext/method.h"

namespace ss::pretext {

class Amdim : public Method {
 public:
  explicit Amdim(const MethodConfig& cfg);
  StepOutput step(const data::Batch& b, int64_t step) override;
  bool two_views() const override { return true; }
  std::shared_ptr<models::FeatureNet> downstream() override { return encoder; }

  struct Features {
    Tensor r1, r5, r7;  // [N, D], [N, D, 5, 5], [N, D, 7, 7]
  };
  Features features(const Tensor& x);

  std::shared_ptr<models::FeatureNet> encoder;
  std::shared_ptr<nn::Conv2d> rkhs_5, rkhs_7;
};

}  // namespace ss::pretext
