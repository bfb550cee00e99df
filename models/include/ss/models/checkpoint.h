// Backbone checkpoints (safetensors, torchvision names). A pretrained checkpoint carries
// the backbone + prepool_fc; pretext heads are dropped on load and task heads keep their
// fresh initialisation (REFERENCE §3: finetune everything from there).
#pragma once
#include <string>
#include <vector>

#include "ss/io/safetensors.h"
#include "ss/models/feature_net.h"

namespace ss::models {

// Writes backbone + prepool_fc (parameters and BN buffers; not the task heads), with
// metadata {"model": describe(), "arch", "width", "out_feats"} plus `meta`.
void save_backbone(const std::string& path, const FeatureNet& model, io::Metadata meta = {});

struct LoadOptions {
  // Keys that may be in the file but are not part of the backbone (e.g. a pretext
  // module's own layers). Any other unknown key is an error naming it.
  std::vector<std::string> drop_prefixes = {"pretext."};
  // When the file's backbone sits under a prefix (e.g. "encoder." inside a pretext
  // module), only keys with it are loaded, with it stripped; keys without it must match
  // drop_prefixes.
  std::string src_prefix;
};
struct LoadReport {
  std::vector<std::string> loaded, dropped;  // file keys
};

// Loads backbone + prepool_fc into `model`. Every such tensor of the model must be in the
// file with the same shape (error names the key); the model's heads are left as they are.
LoadReport load_backbone(const std::string& path, FeatureNet& model, const LoadOptions& opt = {});

}  // namespace ss::models
