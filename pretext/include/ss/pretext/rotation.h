// Rotation (REFERENCE §4): the batch is split in 4 equal chunks rotated by 0/90/180/270
// degrees (ss::rot90), a Linear(out_feats, 4) classifies the rotation, cross-entropy.
// Metric "acc": rotation accuracy (chance 0.25).
#pragma once
#include <memory>

#include "ss/pretext/method.h"

namespace ss::pretext {

class Rotation : public Method {
 public:
  explicit Rotation(const MethodConfig& cfg);
  StepOutput step(const data::Batch& b, int64_t step) override;
  std::shared_ptr<models::FeatureNet> downstream() override { return encoder; }

  std::shared_ptr<models::FeatureNet> encoder;
  std::shared_ptr<nn::Linear> classifier;
};

}  // namespace ss::pretext
