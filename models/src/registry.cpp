#include "ss/models/registry.h"

#include "ss/models/resnet.h"

namespace ss::models {

std::vector<std::string> model_names() {
  return {"resnet9", "resnet9_half", "resnet50", "resnet50_half"};
}

std::shared_ptr<FeatureNet> make_model(const ModelConfig& cfg) {
  std::shared_ptr<Backbone> bb;
  if (cfg.arch == "resnet9" || cfg.arch == "resnet9_half") {
    bb = std::make_shared<ResNet9>(
        ResNet9Options{cfg.width, cfg.in_channels, cfg.arch == "resnet9_half"});
  } else if (cfg.arch == "resnet50" || cfg.arch == "resnet50_half") {
    bb = std::make_shared<ResNet50>(
        ResNet50Options{cfg.width, cfg.in_channels, cfg.dense, cfg.arch == "resnet50_half"});
  } else {
    std::string names;
    for (auto& n : model_names()) names += (names.empty() ? "" : ", ") + n;
    SS_FAIL("unknown model '", cfg.arch, "' (known: ", names, ")");
  }
  auto m = std::make_shared<FeatureNet>(bb, cfg.out_feats, cfg.out_classes, cfg.dense);
  m->width = cfg.width;
  return m;
}

}  // namespace ss::models
