#include "ss/optim.h"

#include <algorithm>

#include "op_util.h"
#include "ss/autograd.h"
#include "ss/kernels/optim.h"

namespace ss::optim {

Optimizer::Optimizer(std::vector<Tensor> params) : params_(std::move(params)) {
  if (!params_.empty()) device_ = params_[0].device();
  for (auto& p : params_)
    SS_CHECK(p.device() == device_, "optimiser: parameters on ", device_.str(), " and ",
             p.device().str(), " (one device per optimiser)");
  applied_ = Tensor::zeros({1}, DType::I64, device_);
  sched_step_ = Tensor::zeros({1}, DType::I64, device_);
}

void Optimizer::set_lr(double lr) {
  lr_ = lr;
  has_sched_ = false;
}

void Optimizer::set_schedule(const WarmupLinearSchedule& s) {
  sched_ = s;
  has_sched_ = true;
  sched_step_.copy_(Tensor::from_vector<int64_t>({steps_}, {1}));
}

void Optimizer::begin_step() {
  if (has_sched_) lr_ = sched_.at(steps_);
  ++steps_;  // the CUDA kernels advance sched_step_ themselves; the CPU reads steps_
}

void Optimizer::advance_host_steps(int64_t n) {
  steps_ += n;
  if (has_sched_ && steps_ > 0) lr_ = sched_.at(steps_ - 1);
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.impl().grad.reset();
}

int64_t Optimizer::applied_steps_value() const { return applied_.to_vector<int64_t>()[0]; }

void Optimizer::set_steps(int64_t s) {
  steps_ = s;
  applied_.copy_(Tensor::from_vector<int64_t>({s}, {1}));
  sched_step_.copy_(Tensor::from_vector<int64_t>({s}, {1}));
}

namespace {
// CPU: found_inf is host memory, so the skip is decided here and the count advanced here.
bool skipped_on_host(const float* found_inf) { return found_inf && *found_inf != 0.f; }
}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Optimizer(std::move(params)), o_(o) {
  lr_ = o.lr;
  for (auto& p : params_) {
    SS_CHECK(p.is_contiguous(), "Adam: parameter must be contiguous, got ", p.desc());
    m_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
    v_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
  }
}

void Adam::step(const float* found_inf) {
  NoGradGuard ng;
  begin_step();
  AdamParams a;
  a.lr = float(lr_), a.beta1 = float(o_.beta1), a.beta2 = float(o_.beta2), a.eps = float(o_.eps);
  a.weight_decay = float(o_.weight_decay);
  if (device_.is_cuda()) {
    std::vector<float*> ps, ms, vs;
    std::vector<const float*> gs;
    std::vector<int64_t> sizes;
    std::vector<Tensor> keep;  // contiguous copies of gradients, alive until the launch
    for (size_t i = 0; i < params_.size(); ++i) {
      Tensor& p = params_[i];
      Tensor g = p.grad();
      if (!g.defined()) continue;  // no gradient this step: leave untouched, like PyTorch
      SS_CHECK(p.dtype() == DType::F32, "adam: CUDA kernels take f32, got ", p.desc());
      if (!g.is_contiguous()) keep.push_back(g = g.contiguous());
      ps.push_back(p.data<float>()), gs.push_back(g.data<float>());
      ms.push_back(m_[i].data<float>()), vs.push_back(v_[i].data<float>());
      sizes.push_back(p.numel());
    }
    // Runs even without gradients: the device step count advances as on the CPU.
    SS_CUDA(cuda::adam_step_multi(ps.data(), gs.data(), ms.data(), vs.data(), sizes.data(),
                                  int(ps.size()), a, applied_.data<int64_t>(), found_inf,
                                  device_schedule(), device_schedule_step()));
    return;
  }
  if (skipped_on_host(found_inf)) return;
  a.step = ++*applied_.data<int64_t>();
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (!g.is_contiguous()) g = g.contiguous();
    backend(p, "adam",
            [&](auto z) {
              using T = decltype(z);
              cpu::adam_step<T>(p.data<T>(), g.data<T>(), m_[i].data<T>(), v_[i].data<T>(),
                                p.numel(), a);
            },
            [] {});
  }
}

SGD::SGD(std::vector<Tensor> params, double lr, double momentum, double weight_decay)
    : Optimizer(std::move(params)), momentum_(momentum), wd_(weight_decay) {
  lr_ = lr;
  for (auto& p : params_) buf_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
}

void SGD::step(const float* found_inf) {
  NoGradGuard ng;
  begin_step();
  std::vector<float*> ps, bs;
  std::vector<const float*> gs;
  std::vector<int64_t> sizes;
  std::vector<Tensor> keep;  // contiguous copies of gradients, alive until the launch
  const bool cuda = device_.is_cuda();
  bool first = false;
  if (!cuda) {
    if (skipped_on_host(found_inf)) return;
    int64_t& t = *applied_.data<int64_t>();
    first = t == 0;
    ++t;
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    g = g.contiguous();
    if (cuda) {
      SS_CHECK(p.dtype() == DType::F32, "sgd: CUDA kernels take f32, got ", p.desc());
      keep.push_back(g);
      ps.push_back(p.data<float>()), gs.push_back(g.data<float>()), bs.push_back(buf_[i].data<float>());
      sizes.push_back(p.numel());
      continue;
    }
    backend(p, "sgd",
            [&](auto z) {
              using T = decltype(z);
              cpu::sgd_step<T>(p.data<T>(), g.data<T>(), buf_[i].data<T>(), p.numel(), float(lr_),
                               float(momentum_), float(wd_), first);
            },
            [] {});
  }
  if (cuda)
    SS_CUDA(cuda::sgd_step_multi(ps.data(), gs.data(), bs.data(), sizes.data(), int(ps.size()),
                                 float(lr_), float(momentum_), float(wd_),
                                 applied_.data<int64_t>(), found_inf, device_schedule(),
                                 device_schedule_step()));
}

}  // namespace ss::optim
