// A pretext method = encoder(s) + pretext heads + the loss of REFERENCE §4, as one Module
// (its state dict is the whole training state: encoders, heads, BN statistics and, for
// CMC, the memory banks). `step` runs one training forward pass on a batch and returns
// the loss (with graph) and the method's metrics; the caller does backward/step.
//
// The downstream model (what `selfstudy train --init` finetunes) is `downstream()`: the
// encoder FeatureNet for VAE / Rotation / AMDIM, and for CMC a two-stream FeatureNet
// assembled from both half-width encoders (see two_stream.h).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ss/data/loader.h"
#include "ss/models/feature_net.h"
#include "ss/models/registry.h"
#include "ss/nn.h"

namespace ss::pretext {

struct MethodConfig {
  std::string method = "rotation";  // vae | rotation | cmc | amdim
  // arch resnet9 | resnet50 (CMC uses the *_half variant of it per view), width,
  // out_feats (256; CMC: per view, 128). in_channels, dense and out_classes are ignored.
  models::ModelConfig model;
  int res = 64;               // input resolution (the VAE decoder reconstructs at it)
  uint64_t seed = 0;          // noise (VAE), negatives (CMC), source locations (AMDIM)
  // VAE
  double kl_weight = 1e-5;
  // CMC
  int64_t bank_size = 0;      // rows per memory bank (the train split size); required
  int64_t nce_k = 4096;       // negatives per sample (authors: 8192 for ResNet9 syn)
  double nce_t = 0.1;         // temperature
  double nce_m = 0.2;         // memory momentum
  // AMDIM
  double tclip = 30.0;        // soft clip c
  double reg_weight = 0.05;   // score regulariser
  int r5 = 5, r7 = 7;         // spatial sizes of the local maps (adaptive average pooling)
};

struct StepOutput {
  Tensor loss;  // scalar, with graph
  // e.g. {"acc", 0.93}, {"mse", 0.2}: 0-d detached tensors on the model's device, so a
  // step never waits for the device; the caller reads them when it wants (one step late).
  std::vector<std::pair<std::string, Tensor>> metrics;
};

class Method : public nn::Module {
 public:
  explicit Method(MethodConfig cfg) : cfg_(std::move(cfg)) {}
  const MethodConfig& config() const { return cfg_; }
  const std::string& name() const { return cfg_.method; }

  // One training forward pass (model in train mode). `step` is the global optimiser step,
  // used to derive this step's random draws from cfg.seed (reproducible, resumable).
  virtual StepOutput step(const data::Batch& b, int64_t step) = 0;
  // Does the method need Loader two_views (a second augmentation in Batch::x2)?
  virtual bool two_views() const { return false; }
  // The model that the backbone checkpoint holds (backbone + prepool_fc), up to date with
  // the current weights.
  virtual std::shared_ptr<models::FeatureNet> downstream() = 0;
  // The authors' augmentation switches for this method (config/syn/r9/<method>.gin).
  virtual data::AugmentConfig augmentation() const;

 protected:
  MethodConfig cfg_;
};

std::vector<std::string> method_names();  // vae, rotation, cmc, amdim
// Builds a method (weights from the global generator: call ss::manual_seed first).
// Unknown names: error listing the known ones.
std::shared_ptr<Method> make_method(const MethodConfig& cfg);

// Builds the encoder FeatureNet a method uses: cfg.model with in_channels / heads reset.
std::shared_ptr<models::FeatureNet> make_encoder(const models::ModelConfig& m, int in_channels,
                                                 int out_feats);

}  // namespace ss::pretext
