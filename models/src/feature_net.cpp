#include "ss/models/feature_net.h"

#include <cstdio>
#include <sstream>

#include "ss/ops.h"

namespace ss::models {

Tensor apply_linear(const nn::Linear& l, const Tensor& x) {
  if (x.dim() == 2) return linear(x, l.weight, l.bias);
  SS_CHECK(x.dim() == 4, "per-pixel linear: input must be [N, C] or [N, C, H, W], got ", x.desc());
  // A per-pixel Linear is a 1x1 convolution with the weight viewed as [O, K, 1, 1]; this
  // avoids the two NCHW<->NHWC copies of the authors' permute formulation.
  const Tensor& w = l.weight;
  return conv2d(x, reshape(w, {w.size(0), w.size(1), 1, 1}), l.bias);
}

Heads::Heads(int in_feats, const std::vector<int>& out_sizes) {
  SS_CHECK(!out_sizes.empty(), "Heads: no outputs given");
  for (size_t i = 0; i < out_sizes.size(); ++i) {
    SS_CHECK(out_sizes[i] >= 1, "Heads: output ", i, " has size ", out_sizes[i]);
    heads_.push_back(
        register_module(std::to_string(i), std::make_shared<nn::Linear>(in_feats, out_sizes[i])));
  }
}
std::vector<Tensor> Heads::forward_all(const Tensor& f) {
  std::vector<Tensor> out;
  for (auto& h : heads_) out.push_back(apply_linear(*h, f));
  return out;
}
Tensor Heads::forward(const Tensor& f) {
  SS_CHECK(heads_.size() == 1, "Heads::forward with ", heads_.size(), " heads; use forward_all");
  return apply_linear(*heads_[0], f);
}

FeatureNet::FeatureNet(std::shared_ptr<Backbone> backbone, int out_feats,
                       const std::vector<int>& out_classes, bool dense)
    : backbone_(std::move(backbone)), out_feats_(out_feats), dense_(dense) {
  SS_CHECK(backbone_, "FeatureNet: no backbone");
  SS_CHECK(out_feats >= 1, "FeatureNet: out_feats must be >= 1, got ", out_feats);
  // The backbone's children are registered here directly (not under "backbone.") so the
  // state dict keeps torchvision's top-level names. That only works if the backbone keeps
  // all of its tensors in children, which this checks.
  size_t in_children = 0;
  for (auto& [name, child] : backbone_->children()) {
    in_children += child->named_parameters().size() + child->named_buffers().size();
    register_module(name, child);
  }
  SS_CHECK(in_children == backbone_->named_parameters().size() + backbone_->named_buffers().size(),
           "FeatureNet: backbone ", backbone_->arch(), " holds tensors outside its children");
  prepool_fc_ = register_module("prepool_fc",
                                std::make_shared<nn::Linear>(backbone_->out_channels(), out_feats));
  if (!out_classes.empty())
    heads_ = register_module("heads", std::make_shared<Heads>(out_feats, out_classes));
}

Heads& FeatureNet::heads() {
  SS_CHECK(heads_, "FeatureNet ", backbone_->arch(), " was built without task heads");
  return *heads_;
}
const Heads& FeatureNet::heads() const {
  SS_CHECK(heads_, "FeatureNet ", backbone_->arch(), " was built without task heads");
  return *heads_;
}

FeatureNet::Output FeatureNet::run(const Tensor& x, int freeze_at) {
  Output o;
  o.stages = backbone_->forward_stages(x, freeze_at);
  o.feature_map = apply_linear(*prepool_fc_, o.stages.back());
  o.features = global_avg_pool(o.feature_map);
  if (heads_) o.logits = heads_->forward_all(dense_ ? o.feature_map : o.features);
  return o;
}

std::vector<Tensor> FeatureNet::stage_outputs(const Tensor& x, int freeze_at) {
  return backbone_->forward_stages(x, freeze_at);
}
Tensor FeatureNet::feature_map(const Tensor& x, int freeze_at) {
  return apply_linear(*prepool_fc_, backbone_->forward_stages(x, freeze_at).back());
}
Tensor FeatureNet::features(const Tensor& x, int freeze_at) {
  return global_avg_pool(feature_map(x, freeze_at));
}
std::vector<Tensor> FeatureNet::apply_heads(const Tensor& f) {
  return heads().forward_all(f);
}

bool FeatureNet::is_backbone_key(const std::string& name) const {
  return name.rfind("heads.", 0) != 0;
}

namespace {
std::string thousands(int64_t v) {
  std::string s = std::to_string(v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return s;
}
}  // namespace

std::string FeatureNet::describe() const {
  std::ostringstream os;
  const auto params = backbone_->named_parameters();
  const int64_t in_ch = params.empty() ? 0 : params.front().second.size(1);
  char w[32];
  std::snprintf(w, sizeof w, "%g", width);
  os << backbone_->arch() << " width=" << w << " in=" << in_ch << " out_feats=" << out_feats_;
  if (dense_) os << " dense";
  if (heads_) {
    os << " heads=[";
    for (size_t i = 0; i < heads_->size(); ++i)
      os << (i ? "," : "") << heads_->heads()[i]->weight.size(0);
    os << "]";
  }
  os << " params=" << thousands(num_parameters()) << " (backbone "
     << thousands(num_backbone_parameters()) << ")";
  return os.str();
}

}  // namespace ss::models
