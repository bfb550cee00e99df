// VAE (REFERENCE §4): mu / logvar Linears on the pooled feature f (dim F), z = mu + sigma *
// eps, a transposed-conv decoder from z as F x 1 x 1 back to the input resolution, loss =
// MSE(mean) + kl_weight * KL(sum). Decoder (the authors' models/vae.py): n = log2(R) - 1
// stages; stage 0 is ConvTranspose(k4, s2, p0) 1x1 -> 4x4, stages 1.. are ConvTranspose(k4,
// s2, p1) doubling the side, each followed by BN + ReLU, with channels
// [F, 256, 256, 256, 128, 64] at R = 64 (2^min(8, 10 - i) in general), then a 1x1 conv to
// 3 channels. Decoder channels follow the model's width multiplier (scaled_channels).
#pragma once
#include <memory>
#include <string>

#include "ss/pretext/method.h"

namespace ss::pretext {

class Vae : public Method {
 public:
  explicit Vae(const MethodConfig& cfg);
  StepOutput step(const data::Batch& b, int64_t step) override;
  std::shared_ptr<models::FeatureNet> downstream() override { return encoder; }
  data::AugmentConfig augmentation() const override;

  struct Forward {
    Tensor mu, logvar, z, recon;
  };
  // eps: N(0,1) noise [B, F]; undefined = use z = mu (reconstructions for viewing).
  Forward forward_vae(const Tensor& x, const Tensor& eps);

  // Writes a PNG grid of inputs and their reconstructions (z = mu, eval-mode BN): rows
  // alternate inputs / reconstructions, `per_row` images each. x: normalised LAB.
  void write_reconstructions(const std::string& path, const Tensor& x, int per_row = 8);

  std::shared_ptr<models::FeatureNet> encoder;
  std::shared_ptr<nn::Linear> fc_mu, fc_logvar;
  std::shared_ptr<nn::Sequential> decoder;
  int feat = 0;
};

}  // namespace ss::pretext
