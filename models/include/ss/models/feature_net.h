// FeatureNet = backbone + `prepool_fc` + optional task heads (REFERENCE §3).
//
// prepool_fc is a Linear from the last stage's channels to out_feats applied at every
// pixel (as the authors do with nn.Linear on a permuted map); the pooled feature is its
// global average. It is stored as a Linear (weight [out_feats, C]) and run as a 1x1
// convolution. Heads are Linears from out_feats to each output size, applied to the
// pooled feature (single-object) or per pixel on the feature map (dense tasks).
//
// State-dict names: the backbone's own (conv1.*, bn1.*, layer1.*, ...), prepool_fc.weight,
// prepool_fc.bias, heads.0.weight, heads.0.bias, heads.1.*, ...
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ss/models/backbone.h"

namespace ss::models {

// x[N, K] -> [N, O] or x[N, K, H, W] -> [N, O, H, W] (per pixel, as a 1x1 conv).
Tensor apply_linear(const nn::Linear& l, const Tensor& x);

// One Linear per task output, children "0", "1", ...
class Heads : public nn::Module {
 public:
  Heads(int in_feats, const std::vector<int>& out_sizes);
  std::vector<Tensor> forward_all(const Tensor& f);  // one result per head
  Tensor forward(const Tensor& f) override;          // only when there is exactly one head
  size_t size() const { return heads_.size(); }
  const std::vector<std::shared_ptr<nn::Linear>>& heads() const { return heads_; }

 private:
  std::vector<std::shared_ptr<nn::Linear>> heads_;
};

class FeatureNet : public nn::Module {
 public:
  // `dense`: heads are applied per pixel on the feature map, not on the pooled feature.
  FeatureNet(std::shared_ptr<Backbone> backbone, int out_feats,
             const std::vector<int>& out_classes = {}, bool dense = false);

  struct Output {
    std::vector<Tensor> stages;  // kNumStages maps (stages <= freeze_at detached)
    Tensor feature_map;          // prepool_fc per pixel: [N, out_feats, h, w]
    Tensor features;             // its global average: [N, out_feats]
    std::vector<Tensor> logits;  // one per head: [N, k] or, dense, [N, k, h, w]
  };
  // Everything from one pass. freeze_at in [0, 4] (see backbone.h for the stages).
  Output run(const Tensor& x, int freeze_at = 0);

  std::vector<Tensor> stage_outputs(const Tensor& x, int freeze_at = 0);
  Tensor feature_map(const Tensor& x, int freeze_at = 0);
  Tensor features(const Tensor& x, int freeze_at = 0);
  // Task heads on a pooled feature [N, F] or a feature map [N, F, h, w].
  std::vector<Tensor> apply_heads(const Tensor& f);
  Tensor forward(const Tensor& x) override { return features(x); }

  Backbone& backbone() { return *backbone_; }
  const Backbone& backbone() const { return *backbone_; }
  nn::Linear& prepool_fc() { return *prepool_fc_; }
  const nn::Linear& prepool_fc() const { return *prepool_fc_; }
  bool has_heads() const { return heads_ != nullptr; }
  Heads& heads();
  const Heads& heads() const;
  int out_feats() const { return out_feats_; }
  bool dense() const { return dense_; }

  // Parameters of the backbone alone (no prepool_fc, no heads): the REFERENCE §7 figure.
  int64_t num_backbone_parameters() const { return backbone_->num_parameters(); }
  // Names that belong to backbone + prepool_fc (what save_backbone writes).
  bool is_backbone_key(const std::string& name) const;

  // One line for logs and result files, e.g.
  // "resnet9 width=0.25 in=3 out_feats=256 heads=[10,5] params=429,263 (backbone 412,208)".
  std::string describe() const;
  double width = 1.0;  // recorded by make_model for describe()

 private:
  std::shared_ptr<Backbone> backbone_;
  std::shared_ptr<nn::Linear> prepool_fc_;
  std::shared_ptr<Heads> heads_;
  int out_feats_;
  bool dense_;
};

}  // namespace ss::models
