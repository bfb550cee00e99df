// Modules with torchvision-style parameter names ("layer1.0.conv1.weight"), train/eval
// modes, device moves, and state dicts that round-trip through safetensors.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ss/nvtx.h"
#include "ss/ops.h"
#include "ss/tensor.h"

namespace ss::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module;
// Sees every Module::operator() call on its thread after forward returns (FLOP counting,
// shape tracing: see benchmarks/bench_train.cpp). Install with Module::call_observer().
struct CallObserver {
  virtual ~CallObserver() = default;
  virtual void on_call(const Module& m, const Tensor& in, const Tensor& out) = 0;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x);
  // forward(x) inside an NVTX range named after the module type ("Conv2d", "BasicBlock";
  // CUDA builds only, so Nsight shows the layer nesting), then the call observer if any.
  Tensor operator()(const Tensor& x) {
    nvtx::Range range(SS_NVTX ? nvtx::type_name(typeid(*this)) : nullptr);
    Tensor y = forward(x);
    if (CallObserver* o = call_observer()) o->on_call(*this, x, y);
    return y;
  }
  // This thread's observer (null: none); the caller owns it and resets it to null.
  static CallObserver*& call_observer() {
    static thread_local CallObserver* observer = nullptr;
    return observer;
  }

  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  std::map<std::string, Tensor> state_dict() const;  // parameters + buffers
  // Copies values in; strict = every key present and no extra keys. Errors name the key.
  void load_state_dict(const std::map<std::string, Tensor>& sd, bool strict = true);

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void to(Device d);  // moves every parameter and buffer in place
  int64_t num_parameters() const;
  void zero_grad();

  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }

 protected:
  Tensor register_parameter(const std::string& name, Tensor t);
  Tensor register_buffer(const std::string& name, Tensor t);
  template <class M> std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }

 private:
  void collect(const std::string& prefix, bool params, NamedTensors& out) const;
  NamedTensors params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

using ModulePtr = std::shared_ptr<Module>;

class Conv2d : public Module {
 public:
  Conv2d(int in, int out, int kernel, int stride = 1, int padding = 0, int dilation = 1,
         bool bias = false);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;
  Conv2dArgs args;
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int in, int out, int kernel, int stride = 1, int padding = 0,
                  int output_padding = 0, bool bias = false);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;
  ConvT2dArgs args;
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int channels, double momentum = 0.1, double eps = 1e-5);
  Tensor forward(const Tensor& x) override;
  // act(forward(x) + residual) as one fused op (batch_norm_act): one saved activation less.
  Tensor forward_act(const Tensor& x, Act act, double alpha = 1.0, const Tensor& residual = {});
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  double momentum, eps;
};

class Linear : public Module {
 public:
  Linear(int in, int out, bool bias = true);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
};
class CELU : public Module {
 public:
  explicit CELU(double alpha = 1.0) : alpha(alpha) {}
  Tensor forward(const Tensor& x) override { return celu(x, alpha); }
  double alpha;
};
class MaxPool2d : public Module {
 public:
  Tensor forward(const Tensor& x) override { return max_pool2d(x); }
};
class GlobalAvgPool : public Module {
 public:
  Tensor forward(const Tensor& x) override { return global_avg_pool(x); }
};
class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return flatten(x, 1); }
};

// Children named "0", "1", ... like torch.nn.Sequential.
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<ModulePtr> mods);
  void push_back(ModulePtr m);
  Tensor forward(const Tensor& x) override;
  size_t size() const { return children().size(); }
};

// PyTorch default init (kaiming_uniform with a=sqrt(5) => U(-1/sqrt(fan_in), +)).
void init_uniform_fan_in(Tensor& t, int64_t fan_in);
// Kaiming normal, mode=fan_out, relu gain: N(0, 2/fan_out).
void init_kaiming_normal_fan_out(Tensor& t);

}  // namespace ss::nn
