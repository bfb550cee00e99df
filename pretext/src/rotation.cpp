#include "ss/pretext/rotation.h"

#include "ss/ops.h"
#include "ss/pretext/losses.h"

namespace ss::pretext {

Rotation::Rotation(const MethodConfig& cfg) : Method(cfg) {
  encoder = register_module("encoder", make_encoder(cfg.model, 3, cfg.model.out_feats));
  classifier = register_module("classifier", std::make_shared<nn::Linear>(cfg.model.out_feats, 4));
}

StepOutput Rotation::step(const data::Batch& b, int64_t) {
  const int64_t B = b.size() / 4 * 4;
  SS_CHECK(B >= 4, "rotation: needs a batch of at least 4 images, got ", b.size());
  Tensor x = B == b.size() ? b.x : slice(b.x, 0, 0, B);
  RotatedBatch rb = rotate_chunks(x);
  Tensor logits = (*classifier)(encoder->features(rb.x));
  StepOutput out;
  out.loss = cross_entropy(logits, rb.labels);
  out.metrics = {{"acc", top1_accuracy(logits, rb.labels)}};
  return out;
}

}  // namespace ss::pretext
