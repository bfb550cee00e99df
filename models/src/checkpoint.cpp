#include "ss/models/checkpoint.h"

#include <cstdio>
#include <set>

#include "ss/autograd.h"

namespace ss::models {

namespace {
bool starts_with(const std::string& s, const std::string& p) {
  return s.rfind(p, 0) == 0;
}
}  // namespace

void save_backbone(const std::string& path, const FeatureNet& model, io::Metadata meta) {
  io::TensorMap out;
  for (auto& [name, t] : model.state_dict())
    if (model.is_backbone_key(name)) out[name] = t;
  char w[32];
  std::snprintf(w, sizeof w, "%g", model.width);
  meta["model"] = model.describe();
  meta["arch"] = model.backbone().arch();
  meta["width"] = w;
  meta["out_feats"] = std::to_string(model.out_feats());
  io::save_safetensors(path, out, meta);
}

LoadReport load_backbone(const std::string& path, FeatureNet& model, const LoadOptions& opt) {
  io::TensorMap file = io::load_safetensors(path);
  std::map<std::string, Tensor> mine;
  for (auto& [name, t] : model.state_dict())
    if (model.is_backbone_key(name)) mine[name] = t;

  LoadReport rep;
  std::map<std::string, Tensor> take;  // model name -> file tensor
  for (auto& [key, t] : file) {
    bool drop = false;
    for (auto& p : opt.drop_prefixes) drop = drop || starts_with(key, p);
    const bool in_src = starts_with(key, opt.src_prefix);
    const std::string name = in_src ? key.substr(opt.src_prefix.size()) : key;
    if (!drop && in_src && mine.count(name)) {
      take[name] = t;
      rep.loaded.push_back(key);
    } else if (drop) {
      rep.dropped.push_back(key);
    } else {
      SS_FAIL(path, ": unexpected tensor '", key, "' (not part of ", model.backbone().arch(),
              " backbone + prepool_fc",
              opt.src_prefix.empty() ? "" : " under '" + opt.src_prefix + "'",
              ", and not under a dropped prefix)");
    }
  }
  for (auto& [name, t] : mine) {
    SS_CHECK(take.count(name), path, ": missing '", opt.src_prefix + name, "' (", t.desc(),
             ") for ", model.describe());
    SS_CHECK(take[name].shape() == t.shape(), path, ": '", opt.src_prefix + name, "' has shape ",
             shape_str(take[name].shape()), ", model expects ", shape_str(t.shape()));
    SS_CHECK(take[name].dtype() == t.dtype() ||
                 (is_floating(t.dtype()) && is_floating(take[name].dtype())),
             path, ": '", opt.src_prefix + name, "' has dtype ", dtype_name(take[name].dtype()),
             ", model expects ", dtype_name(t.dtype()));
  }
  NoGradGuard ng;
  for (auto& [name, t] : mine) {
    Tensor dst = t;
    dst.copy_(take[name]);
  }
  return rep;
}

}  // namespace ss::models
