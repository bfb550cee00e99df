#include "ss/optim.h"

#include <algorithm>

#include "op_util.h"
#include "ss/autograd.h"
#include "ss/kernels/optim.h"

namespace ss::optim {

void Optimizer::zero_grad() {
  for (auto& p : params_) p.impl().grad.reset();
}

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Optimizer(std::move(params)), o_(o) {
  lr_ = o.lr;
  for (auto& p : params_) {
    SS_CHECK(p.is_contiguous(), "Adam: parameter must be contiguous, got ", p.desc());
    m_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
    v_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
  }
}

void Adam::step() {
  NoGradGuard ng;
  ++steps_;
  AdamParams a;
  a.lr = float(lr_), a.beta1 = float(o_.beta1), a.beta2 = float(o_.beta2), a.eps = float(o_.eps);
  a.weight_decay = float(o_.weight_decay);
  a.step = steps_;
  std::vector<float*> ps, ms, vs;
  std::vector<const float*> gs;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;  // no gradient this step: leave untouched, like PyTorch
    if (!g.is_contiguous()) g = g.contiguous();
    if (p.is_cuda()) {
      ps.push_back(p.data<float>()), gs.push_back(g.data<float>());
      ms.push_back(m_[i].data<float>()), vs.push_back(v_[i].data<float>());
      sizes.push_back(p.numel());
      continue;
    }
    backend(p, "adam",
            [&](auto z) {
              using T = decltype(z);
              cpu::adam_step<T>(p.data<T>(), g.data<T>(), m_[i].data<T>(), v_[i].data<T>(),
                                p.numel(), a);
            },
            [] {});
  }
  if (!ps.empty())
    SS_CUDA(cuda::adam_step_multi(ps.data(), gs.data(), ms.data(), vs.data(), sizes.data(),
                                  int(ps.size()), a));
}

SGD::SGD(std::vector<Tensor> params, double lr, double momentum, double weight_decay)
    : Optimizer(std::move(params)), momentum_(momentum), wd_(weight_decay) {
  lr_ = lr;
  for (auto& p : params_) buf_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
}

void SGD::step() {
  NoGradGuard ng;
  const bool first = steps_ == 0;
  ++steps_;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    g = g.contiguous();
    backend(p, "sgd",
            [&](auto z) {
              using T = decltype(z);
              cpu::sgd_step<T>(p.data<T>(), g.data<T>(), buf_[i].data<T>(), p.numel(), float(lr_),
                               float(momentum_), float(wd_), first);
            },
            [&] {
              SS_CUDA(cuda::sgd_step(p.data<float>(), g.data<float>(), buf_[i].data<float>(),
                                     p.numel(), float(lr_), float(momentum_), float(wd_), first));
            });
  }
}

double WarmupLinearSchedule::at(int64_t step) const {
  if (warmup > 0 && step < warmup) return base_lr * double(step) / double(warmup);
  if (total <= warmup) return base_lr;
  const double t = std::clamp(double(step - warmup) / double(total - warmup), 0.0, 1.0);
  return base_lr + (final_lr - base_lr) * t;
}

}  // namespace ss::optim
