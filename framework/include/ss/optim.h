// Optimisers (torch.optim semantics) and the study's learning-rate schedule.
#pragma once
#include <cstdint>
#include <vector>

#include "ss/tensor.h"

namespace ss::optim {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params) : params_(std::move(params)) {}
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  void zero_grad();
  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }
  int64_t steps() const { return steps_; }
  const std::vector<Tensor>& params() const { return params_; }

 protected:
  std::vector<Tensor> params_;
  double lr_ = 1e-3;
  int64_t steps_ = 0;
};

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.8, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-4;
};

// torch.optim.Adam: L2 weight decay added to the gradient (coupled). On CUDA one fused
// multi-tensor launch updates every parameter.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions o = {});
  void step() override;
  std::vector<Tensor>& exp_avg() { return m_; }
  std::vector<Tensor>& exp_avg_sq() { return v_; }
  const AdamOptions& options() const { return o_; }
  void set_steps(int64_t s) { steps_ = s; }

 private:
  AdamOptions o_;
  std::vector<Tensor> m_, v_;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, double momentum = 0.9, double weight_decay = 0);
  void step() override;

 private:
  double momentum_, wd_;
  std::vector<Tensor> buf_;
};

// Linear warm-up from 0 to base_lr over `warmup` steps, then linear decay to final_lr at
// `total` steps (REFERENCE §6: warm-up 5 epochs to 1e-3, decay to 1e-6 at the last epoch).
struct WarmupLinearSchedule {
  double base_lr = 1e-3, final_lr = 1e-6;
  int64_t warmup = 0, total = 1;
  double at(int64_t step) const;
};

}  // namespace ss::optim
