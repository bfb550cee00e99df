// The downstream model of a CMC-pretrained network (the authors' CMCModel with
// run_selfsup=False): two half-width encoders, one on the L channel and one on the ab
// channels, whose pooled features are concatenated (128 + 128 = 256 = out_feats) for the
// task heads.
//
// Expressed as an ordinary models::FeatureNet so the trainer, freezing and checkpoints
// work unchanged: TwoStreamBackbone runs both half encoders stage by stage and
// concatenates their maps along channels (stage k has C_l(k) + C_ab(k) channels; stage
// 1 takes the 3-channel image and splits it into L | ab). The FeatureNet's prepool_fc
// (Linear 2C -> 256) is initialised block-diagonally from the two encoders' own
// prepool_fc's, so at load time features = concat(f_l, f_ab) exactly (un-normalised: the
// authors L2-normalise each half before concatenating; we leave the scale to the heads).
// Finetuning may then mix the two streams through prepool_fc, as any downstream layer may.
//
// Architecture names: "resnet9_cmc", "resnet50_cmc". State-dict keys: l.<half-net keys>,
// ab.<half-net keys>, prepool_fc.weight [256, 2C], prepool_fc.bias [256].
#pragma once
#include <memory>
#include <string>

#include "ss/models/backbone.h"
#include "ss/models/feature_net.h"
#include "ss/models/registry.h"

namespace ss::pretext {

class TwoStreamBackbone : public models::Backbone {
 public:
  // half_arch: "resnet9_half" or "resnet50_half"; the L stream takes 1 input channel,
  // the ab stream 2.
  TwoStreamBackbone(const std::string& half_arch, double width, bool dense = false);
  Tensor run_stage(int k, const Tensor& x) override;
  int stage_channels(int k) const override;
  int stage_stride(int k) const override { return l->stage_stride(k); }
  std::string arch() const override { return arch_; }

  std::shared_ptr<models::Backbone> l, ab;

 private:
  std::string arch_;
};

// True for "resnet9_cmc" / "resnet50_cmc".
bool is_two_stream_arch(const std::string& arch);
// Like models::make_model, plus the two-stream archs (out_feats is the concatenated size,
// 2 x 128 = 256 for CMC). The trainer should build models through this so that
// `selfstudy train --init <cmc backbone> --set model.arch=resnet9_cmc` works.
std::shared_ptr<models::FeatureNet> make_model(const models::ModelConfig& cfg);

// Assembles the downstream FeatureNet from two trained CMC encoders (FeatureNets with
// in_channels 1 and 2): copies both backbones and builds the block-diagonal prepool_fc.
std::shared_ptr<models::FeatureNet> assemble_two_stream(const models::FeatureNet& enc_l,
                                                        const models::FeatureNet& enc_ab,
                                                        const std::string& half_arch,
                                                        double width);

}  // namespace ss::pretext
