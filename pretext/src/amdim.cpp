#include "ss/pretext/amdim.h"

#include "ss/ops.h"
#include "ss/pretext/losses.h"

namespace ss::pretext {

Amdim::Amdim(const MethodConfig& cfg) : Method(cfg) {
  const int D = cfg.model.out_feats;
  encoder = register_module("encoder", make_encoder(cfg.model, 3, D));
  const auto& bb = encoder->backbone();
  rkhs_5 = register_module("rkhs_5", std::make_shared<nn::Conv2d>(bb.stage_channels(4), D, 1, 1, 0, 1, true));
  rkhs_7 = register_module("rkhs_7", std::make_shared<nn::Conv2d>(bb.stage_channels(3), D, 1, 1, 0, 1, true));
}

Amdim::Features Amdim::features(const Tensor& x) {
  models::FeatureNet::Output o = encoder->run(x);
  Features f;
  f.r1 = o.features;
  f.r5 = (*rkhs_5)(adaptive_avg_pool2d(o.stages[3], cfg_.r5));
  f.r7 = (*rkhs_7)(adaptive_avg_pool2d(o.stages[2], cfg_.r7));
  return f;
}

StepOutput Amdim::step(const data::Batch& b, int64_t step) {
  SS_CHECK(b.x2.defined(), "amdim: the batch has no second view (Loader two_views)");
  const int64_t B = b.size();
  SS_CHECK(B >= 2, "amdim: needs at least 2 images per batch, got ", B);
  Features f = features(concat({b.x, b.x2}, 0));
  auto half = [&](const Tensor& t, int v) { return slice(t, 0, v * B, (v + 1) * B); };
  const int64_t L5 = int64_t(cfg_.r5) * cfg_.r5;
  std::vector<int64_t> loc1 = random_indices(mix_seed(cfg_.seed, 3, uint64_t(step)), B, L5);
  std::vector<int64_t> loc2 = random_indices(mix_seed(cfg_.seed, 4, uint64_t(step)), B, L5);
  AmdimLoss l = amdim_loss(half(f.r1, 0), half(f.r5, 0), half(f.r7, 0), half(f.r1, 1), half(f.r5, 1),
                           half(f.r7, 1), loc1, loc2, cfg_.tclip, cfg_.reg_weight);
  StepOutput out;
  out.loss = l.total;
  out.metrics = {{"acc", l.acc_1t5},        {"l1t5", l.l1t5.detach()}, {"l1t7", l.l1t7.detach()},
                 {"l5t5", l.l5t5.detach()}, {"reg", l.reg.detach()}};
  return out;
}

}  // namespace ss::pretext
