#include "ss/grad_scaler.h"

#include <cmath>

#include "op_util.h"
#include "ss/kernels/amp.h"
#include "ss/ops.h"

namespace ss {
namespace {
// A one-element tensor of any shape ([], [1], [1, 1]) as [1], for copy_.
Tensor as_one(const Tensor& t) {
  Tensor c = t.contiguous();
  return make_view(c, {1}, {1}, c.impl().offset);
}
}  // namespace

GradScaler::GradScaler(Device dev, double init_scale, double growth, double backoff,
                       int growth_interval, bool enabled)
    : dev_(dev), growth_(growth), backoff_(backoff), growth_interval_(growth_interval),
      enabled_(enabled) {
  if (!enabled_) return;
  SS_CHECK(std::isfinite(init_scale) && init_scale > 0, "GradScaler: init_scale must be > 0, got ",
           init_scale);
  SS_CHECK(growth > 1.0, "GradScaler: growth factor must be > 1, got ", growth);
  SS_CHECK(backoff > 0.0 && backoff < 1.0, "GradScaler: backoff factor must be in (0, 1), got ",
           backoff);
  SS_CHECK(growth_interval > 0, "GradScaler: growth_interval must be > 0, got ", growth_interval);
  scale_ = Tensor::full({1}, float(init_scale), DType::F32, dev_);
  inv_scale_ = Tensor::full({1}, 1.0 / double(float(init_scale)), DType::F32, dev_);
  growth_tracker_ = Tensor::zeros({1}, DType::I32, dev_);
  found_inf_ = Tensor::zeros({1}, DType::F32, dev_);
}

Tensor GradScaler::scale(const Tensor& loss) const {
  if (!enabled_) return loss;
  SS_CHECK(loss.device() == dev_, "GradScaler::scale: loss ", loss.desc(), ", scaler on ",
           dev_.str());
  // f64 losses (CPU reference runs) need an f64 factor; f32/f16 losses take the f32 one.
  Tensor s = loss.dtype() == DType::F64 ? scale_.to(DType::F64) : scale_;
  // Broadcast view of the one-element scale (stride 0): no host read, any loss shape.
  Tensor sv = make_view(s, loss.shape(), Shape(loss.shape().size(), 0), s.impl().offset);
  return mul(loss, sv);
}

void GradScaler::unscale(const std::vector<Tensor>& params) {
  if (!enabled_) return;
  if (!checked_) {
    found_inf_.zero_();
    checked_ = true;
  }
  std::vector<float*> f32;
  std::vector<double*> f64;
  std::vector<int64_t> n32, n64;
  for (Tensor p : params) {
    SS_CHECK(unscaled_.insert(&p.impl()).second, "GradScaler::unscale: ", p.desc(),
             " was already unscaled this step (once per step, until update())");
    Tensor g = p.grad();
    if (!g.defined()) continue;
    SS_CHECK(g.device() == dev_, "GradScaler::unscale: gradient ", g.desc(), ", scaler on ",
             dev_.str());
    if (!g.is_contiguous()) {
      g = g.contiguous();
      p.set_grad(g);
    }
    switch (g.dtype()) {
      case DType::F32: f32.push_back(g.data<float>()), n32.push_back(g.numel()); break;
      case DType::F64:
        SS_CHECK(!g.is_cuda(), "GradScaler::unscale: f64 gradient on CUDA: ", g.desc());
        f64.push_back(g.data<double>()), n64.push_back(g.numel());
        break;
      default:
        SS_FAIL("GradScaler::unscale: gradient ", g.desc(),
                " must be f32 or f64 (parameters stay f32 under autocast)");
    }
  }
  float* found = found_inf_.data<float>();
  const float* inv = inv_scale_.data<float>();
  if (dev_.is_cuda()) {
    SS_CUDA(cuda::unscale_and_check(f32.data(), n32.data(), int(f32.size()), inv, found));
    return;
  }
  cpu::unscale_and_check<float>(f32.data(), n32.data(), int(f32.size()), inv, found);
  cpu::unscale_and_check<double>(f64.data(), n64.data(), int(f64.size()), inv, found);
}

void GradScaler::step(optim::Optimizer& opt) {
  if (!enabled_) {
    opt.step();
    return;
  }
  SS_CHECK(opt.params().empty() || opt.device() == dev_, "GradScaler::step: optimiser on ",
           opt.device().str(), ", scaler on ", dev_.str());
  std::vector<Tensor> rest;
  for (const Tensor& p : opt.params())
    if (!unscaled_.count(&p.impl())) rest.push_back(p);
  unscale(rest);
  opt.step(found_inf_.data<float>());
}

void GradScaler::update() {
  if (!enabled_) return;
  SS_CHECK(checked_, "GradScaler::update: no inf check was recorded since the last update "
                     "(call step() or unscale() first)");
  float* s = scale_.data<float>();
  int32_t* tracker = growth_tracker_.data<int32_t>();
  const float* found = found_inf_.data<float>();
  float* inv = inv_scale_.data<float>();
  if (dev_.is_cuda())
    SS_CUDA(cuda::update_scale(s, tracker, found, growth_, backoff_, growth_interval_, inv));
  else
    cpu::update_scale(s, tracker, found, growth_, backoff_, growth_interval_, inv);
  checked_ = false;
  unscaled_.clear();
}

double GradScaler::scale_value() const { return enabled_ ? scale_.item() : 1.0; }

std::map<std::string, Tensor> GradScaler::state_dict() const {
  if (!enabled_) return {};
  return {{"scale", scale_.clone()}, {"growth_tracker", growth_tracker_.clone()}};
}

void GradScaler::load_state_dict(const std::map<std::string, Tensor>& sd) {
  if (!enabled_) return;
  if (auto it = sd.find("scale"); it != sd.end()) {
    const Tensor& t = it->second;
    SS_CHECK(t.numel() == 1 && t.dtype() == DType::F32, "GradScaler: state 'scale' must be f32[1], got ",
             t.desc());
    const double s = t.item();  // resume time: a host read is fine here
    SS_CHECK(std::isfinite(s) && s > 0, "GradScaler: state 'scale' must be finite and > 0, got ", s);
    scale_.copy_(as_one(t));
    inv_scale_.fill_(1.0 / s);
  }
  if (auto it = sd.find("growth_tracker"); it != sd.end()) {
    const Tensor& t = it->second;
    SS_CHECK(t.numel() == 1 && t.dtype() == DType::I32,
             "GradScaler: state 'growth_tracker' must be i32[1], got ", t.desc());
    growth_tracker_.copy_(as_one(t));
  }
}

}  // namespace ss
