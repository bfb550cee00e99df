// Models by name, so configs and the CLI can say `arch = "resnet9"`.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ss/models/feature_net.h"

namespace ss::models {

struct ModelConfig {
  std::string arch = "resnet9";  // resnet9 | resnet9_half | resnet50 | resnet50_half
  double width = 1.0;            // channel multiplier (1 = paper); reported by describe()
  int in_channels = 3;           // CMC: 1 (L) or 2 (ab)
  int out_feats = 256;           // 256 single-object, 128 per CMC view, 512 dense
  // Dense tasks: heads run per pixel on the feature map; ResNet50's layer4 is dilated
  // (output stride 8: 16x16 maps at 128 px). ResNet9 is already at stride 8.
  bool dense = false;
  std::vector<int> out_classes;  // task heads, e.g. {10, 5} or {11, 1}; empty = none
};

// Names make_model accepts.
std::vector<std::string> model_names();
// Builds and initialises a model (Kaiming fan-out convs, BN 1/0, PyTorch-default
// Linears) from the global generator (ss::manual_seed). Unknown arch: error listing names.
std::shared_ptr<FeatureNet> make_model(const ModelConfig& cfg);

}  // namespace ss::models
