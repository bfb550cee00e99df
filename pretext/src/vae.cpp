#include "ss/pretext/vae.h"

#include <algorithm>
#include <cmath>

#include "ss/autograd.h"
#include "ss/data/lab.h"
#include "ss/models/backbone.h"
#include "ss/ops.h"
#include "ss/pretext/losses.h"
#include "ss/render/png_io.h"

namespace ss::pretext {

Vae::Vae(const MethodConfig& cfg) : Method(cfg) {
  const int R = cfg.res;
  SS_CHECK(R >= 4 && (R & (R - 1)) == 0, "vae: the decoder needs a power-of-two resolution >= 4, got ", R);
  feat = cfg.model.out_feats;
  encoder = register_module("encoder", make_encoder(cfg.model, 3, feat));
  fc_mu = register_module("fc_mu", std::make_shared<nn::Linear>(feat, feat));
  fc_logvar = register_module("fc_logvar", std::make_shared<nn::Linear>(feat, feat));
  decoder = register_module("decoder", std::make_shared<nn::Sequential>());
  const int n_scales = int(std::lround(std::log2(double(R)))) - 1;
  int c_in = feat;
  for (int i = 0; i < n_scales; ++i) {
    const int c_out = models::scaled_channels(1 << std::min(8, 10 - i), cfg.model.width);
    // Stage 0: 1x1 -> 4x4 (k4, s2, p0); later stages double the side (k4, s2, p1).
    decoder->push_back(std::make_shared<nn::ConvTranspose2d>(c_in, c_out, 4, 2, i == 0 ? 0 : 1));
    decoder->push_back(std::make_shared<nn::BatchNorm2d>(c_out));
    decoder->push_back(std::make_shared<nn::ReLU>());
    c_in = c_out;
  }
  decoder->push_back(std::make_shared<nn::Conv2d>(c_in, 3, 1, 1, 0, 1, /*bias=*/true));
}

data::AugmentConfig Vae::augmentation() const {
  data::AugmentConfig a;
  a.cutout = false;  // config/syn/r9/vae.gin
  return a;
}

Vae::Forward Vae::forward_vae(const Tensor& x, const Tensor& eps) {
  Forward f;
  Tensor h = encoder->features(x);
  f.mu = (*fc_mu)(h);
  f.logvar = (*fc_logvar)(h);
  f.z = eps.defined() ? reparameterize(f.mu, f.logvar, eps) : f.mu;
  f.recon = (*decoder)(reshape(f.z, {x.size(0), feat, 1, 1}));
  SS_CHECK(f.recon.shape() == x.shape(), "vae: decoder output ", f.recon.desc(), " does not match input ",
           x.desc(), " (config res = ", cfg_.res, ")");
  return f;
}

StepOutput Vae::step(const data::Batch& b, int64_t step) {
  const Tensor& x = b.x;
  Tensor eps = Tensor::normal({x.size(0), feat}, 0.0, 1.0, mix_seed(cfg_.seed, 1, uint64_t(step)), 0,
                              x.dtype(), x.device());
  Forward f = forward_vae(x, eps);
  VaeLoss l = vae_loss(f.recon, x, f.mu, f.logvar, cfg_.kl_weight);
  StepOutput out;
  out.loss = l.total;
  out.metrics = {{"mse", l.mse.detach()}, {"kl", l.kl.detach()}};
  return out;
}

void Vae::write_reconstructions(const std::string& path, const Tensor& x_in, int per_row) {
  const bool was_training = is_training();
  eval();
  Tensor recon;
  {
    NoGradGuard ng;
    recon = forward_vae(x_in, Tensor()).recon;
  }
  train(was_training);
  Tensor a = data::lab_to_srgb(x_in.detach().to(Device::cpu()).to(DType::F32));
  Tensor r = data::lab_to_srgb(recon.to(Device::cpu()).to(DType::F32));
  const int64_t n = x_in.size(0), R = x_in.size(2), W = x_in.size(3);
  per_row = int(std::max<int64_t>(1, std::min<int64_t>(per_row, n)));
  const int64_t rows = (n + per_row - 1) / per_row;  // pairs of rows
  const int gap = 2;
  const int64_t img_w = per_row * (W + gap) + gap, img_h = rows * 2 * (R + gap) + gap;
  std::vector<uint8_t> rgb(size_t(img_w * img_h * 3), 255);
  const float* pa = a.data<float>();
  const float* pr = r.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t col = i % per_row, row = i / per_row;
    for (int which = 0; which < 2; ++which) {
      const float* src = (which == 0 ? pa : pr) + i * 3 * R * W;
      const int64_t oy = gap + (2 * row + which) * (R + gap), ox = gap + col * (W + gap);
      for (int64_t y = 0; y < R; ++y)
        for (int64_t xx = 0; xx < W; ++xx)
          for (int c = 0; c < 3; ++c) {
            const float v = std::clamp(src[(c * R + y) * W + xx], 0.0f, 1.0f);
            rgb[size_t(((oy + y) * img_w + ox + xx) * 3 + c)] = uint8_t(std::lround(v * 255.0f));
          }
    }
  }
  render::write_png_rgb(path, int(img_w), int(img_h), rgb);
}

}  // namespace ss::pretext
