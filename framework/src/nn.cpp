#include "ss/nn.h"

#include <cmath>
#include <set>

#include "ss/autograd.h"
#include "ss/rng.h"

namespace ss {
Generator& Generator::global() {
  static Generator g(0);
  return g;
}
}  // namespace ss

namespace ss::nn {

Tensor Module::forward(const Tensor&) { SS_FAIL("this module has no single-input forward"); }

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  t.set_requires_grad(true);
  params_.emplace_back(name, t);
  return t;
}
Tensor Module::register_buffer(const std::string& name, Tensor t) {
  buffers_.emplace_back(name, t);
  return t;
}

void Module::collect(const std::string& prefix, bool params, NamedTensors& out) const {
  for (const auto& [n, t] : params ? params_ : buffers_) out.emplace_back(prefix + n, t);
  for (const auto& [n, c] : children_) c->collect(prefix + n + ".", params, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, out);
  return out;
}
NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, out);
  return out;
}
std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}
int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& t : parameters()) n += t.numel();
  return n;
}
void Module::zero_grad() {
  for (auto& t : parameters()) t.impl().grad.reset();
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> sd;
  for (auto& [n, t] : named_parameters()) sd[n] = t;
  for (auto& [n, t] : named_buffers()) sd[n] = t;
  return sd;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& sd, bool strict) {
  NoGradGuard ng;
  std::set<std::string> used;
  auto mine = state_dict();
  for (auto& [name, t] : mine) {
    auto it = sd.find(name);
    if (it == sd.end()) {
      SS_CHECK(!strict, "state dict is missing '", name, "' (", t.desc(), ")");
      continue;
    }
    SS_CHECK(it->second.shape() == t.shape(), "state dict entry '", name, "' has shape ",
             shape_str(it->second.shape()), ", model expects ", shape_str(t.shape()));
    Tensor dst = t;
    dst.copy_(it->second);
    used.insert(name);
  }
  if (strict)
    for (auto& [name, t] : sd)
      SS_CHECK(used.count(name), "state dict has unexpected entry '", name, "'");
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, c] : children_) c->train(on);
}

void Module::to(Device d) {
  auto move = [&](Tensor& t) {
    // Integer buffers (counters) stay on the host where they are updated.
    if (t.device() == d || !is_floating(t.dtype())) return;
    Tensor moved = t.to(d);
    TensorImpl& impl = t.impl();
    impl.storage = moved.impl().storage;
    impl.offset = moved.impl().offset;
    impl.strides = moved.impl().strides;
    impl.grad.reset();
  };
  for (auto& [n, t] : params_) move(t);
  for (auto& [n, t] : buffers_) move(t);
  for (auto& [n, c] : children_) c->to(d);
}

void init_uniform_fan_in(Tensor& t, int64_t fan_in) {
  const double b = 1.0 / std::sqrt(double(std::max<int64_t>(fan_in, 1)));
  const uint64_t off = Generator::global().reserve(uint64_t(t.numel()));
  t.copy_(Tensor::uniform(t.shape(), -b, b, Generator::global().seed(), off, t.dtype()));
}

void init_kaiming_normal_fan_out(Tensor& t) {
  int64_t fan_out = t.size(0);
  for (int64_t i = 2; i < t.dim(); ++i) fan_out *= t.size(i);
  const double std = std::sqrt(2.0 / double(std::max<int64_t>(fan_out, 1)));
  const uint64_t off = Generator::global().reserve(uint64_t(t.numel()));
  t.copy_(Tensor::normal(t.shape(), 0.0, std, Generator::global().seed(), off, t.dtype()));
}

Conv2d::Conv2d(int in, int out, int k, int stride, int padding, int dilation, bool has_bias) {
  args = {stride, padding, dilation};
  weight = register_parameter("weight", Tensor::empty({out, in, k, k}));
  init_uniform_fan_in(weight, int64_t(in) * k * k);
  if (has_bias) {
    bias = register_parameter("bias", Tensor::empty({out}));
    init_uniform_fan_in(bias, int64_t(in) * k * k);
  }
}
Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, args); }

ConvTranspose2d::ConvTranspose2d(int in, int out, int k, int stride, int padding,
                                 int output_padding, bool has_bias) {
  args = {stride, padding, output_padding, 1};
  weight = register_parameter("weight", Tensor::empty({in, out, k, k}));
  // PyTorch computes fan_in from weight.size(1) * k * k for transposed convs.
  init_uniform_fan_in(weight, int64_t(out) * k * k);
  if (has_bias) {
    bias = register_parameter("bias", Tensor::empty({out}));
    init_uniform_fan_in(bias, int64_t(out) * k * k);
  }
}
Tensor ConvTranspose2d::forward(const Tensor& x) { return conv_transpose2d(x, weight, bias, args); }

BatchNorm2d::BatchNorm2d(int c, double momentum, double eps) : momentum(momentum), eps(eps) {
  weight = register_parameter("weight", Tensor::ones({c}));
  bias = register_parameter("bias", Tensor::zeros({c}));
  running_mean = register_buffer("running_mean", Tensor::zeros({c}));
  running_var = register_buffer("running_var", Tensor::ones({c}));
  num_batches_tracked = register_buffer("num_batches_tracked", Tensor::zeros({}, DType::I64));
}
Tensor BatchNorm2d::forward(const Tensor& x) {
  if (is_training()) num_batches_tracked.data<int64_t>()[0]++;
  return batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps);
}
Tensor BatchNorm2d::forward_act(const Tensor& x, Act act, double alpha, const Tensor& residual) {
  nvtx::Range range(SS_NVTX ? "BatchNorm2d" : nullptr);  // not called through operator()
  if (is_training()) num_batches_tracked.data<int64_t>()[0]++;
  return batch_norm_act(x, weight, bias, running_mean, running_var, is_training(), act, alpha,
                        residual, momentum, eps);
}

Linear::Linear(int in, int out, bool has_bias) {
  weight = register_parameter("weight", Tensor::empty({out, in}));
  init_uniform_fan_in(weight, in);
  if (has_bias) {
    bias = register_parameter("bias", Tensor::empty({out}));
    init_uniform_fan_in(bias, in);
  }
}
Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

Sequential::Sequential(std::initializer_list<ModulePtr> mods) {
  for (auto& m : mods) push_back(m);
}
void Sequential::push_back(ModulePtr m) { register_module(std::to_string(size()), m); }
Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& [n, c] : children()) h = (*c)(h);  // operator(): NVTX range + observer
  return h;
}

}  // namespace ss::nn
