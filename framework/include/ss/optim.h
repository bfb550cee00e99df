// Optimisers (torch.optim semantics) and the study's learning-rate schedule.
#pragma once
#include <cstdint>
#include <vector>

#include "ss/kernels/lr_schedule.h"
#include "ss/tensor.h"

namespace ss::optim {

// Two step counts: steps() counts step() calls, skipped ones included (what a schedule
// advances on, like a PyTorch scheduler stepping every iteration), and applied_steps()
// counts the steps that changed the parameters (Adam's bias-correction t, SGD's "first
// step"). The latter is a tensor on the parameters' device so that a step skipped for a
// loss-scaling overflow (found_inf, see grad_scaler.h) advances it without the host ever
// reading found_inf: the kernels update it in device memory.
class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params);
  virtual ~Optimizer() = default;
  // found_inf: optional f32 flag in the parameters' memory (device memory on CUDA); when
  // it is non-zero at the time the step runs, parameters, optimiser state and
  // applied_steps() stay unchanged. null = never skip.
  virtual void step(const float* found_inf = nullptr) = 0;
  void zero_grad();
  double lr() const { return lr_; }  // the last step's (or the set) learning rate
  void set_lr(double lr);
  // Take the learning rate of step() call k (0-based, skipped steps included, as a PyTorch
  // scheduler stepping every iteration) from s.at(k), evaluated from a step counter kept
  // with the parameters (device memory on CUDA). Same values as set_lr(s.at(steps()))
  // before each step, but a step captured in a CUDA graph keeps following the schedule on
  // replay, where host code does not run. set_lr() turns it off.
  void set_schedule(const WarmupLinearSchedule& s);
  // Host bookkeeping for CUDA graphs, where host code runs at capture and not at replay:
  // adds n to steps() (-1 after capturing a step, +1 per replay; the device counters move
  // only in replays) and sets lr() to that of the last step counted.
  void advance_host_steps(int64_t n);
  int64_t steps() const { return steps_; }
  // I64[1] on the parameters' device; saved/restored by checkpoints.
  Tensor& applied_steps() { return applied_; }
  int64_t applied_steps_value() const;  // host read (logging, checkpoints)
  // Resume: sets both counts (checkpoints without an applied-steps entry had them equal)
  // and the schedule's counter.
  void set_steps(int64_t s);
  const std::vector<Tensor>& params() const { return params_; }
  Device device() const { return device_; }

 protected:
  std::vector<Tensor> params_;
  // Called first by every step(): counts it and, under a schedule, sets lr_ to its rate.
  void begin_step();
  // For the CUDA kernels: the schedule and its device counter, or nulls without one.
  const WarmupLinearSchedule* device_schedule() const { return has_sched_ ? &sched_ : nullptr; }
  int64_t* device_schedule_step() { return has_sched_ ? sched_step_.data<int64_t>() : nullptr; }

  double lr_ = 1e-3;
  int64_t steps_ = 0;
  Device device_;
  Tensor applied_;
  bool has_sched_ = false;
  WarmupLinearSchedule sched_;
  Tensor sched_step_;  // I64[1] with the parameters: step() calls so far (read by CUDA kernels)
};

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.8, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-4;
};

// torch.optim.Adam: L2 weight decay added to the gradient (coupled). On CUDA fused
// multi-tensor launches update every parameter.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions o = {});
  void step(const float* found_inf = nullptr) override;
  std::vector<Tensor>& exp_avg() { return m_; }
  std::vector<Tensor>& exp_avg_sq() { return v_; }
  const AdamOptions& options() const { return o_; }

 private:
  AdamOptions o_;
  std::vector<Tensor> m_, v_;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, double momentum = 0.9, double weight_decay = 0);
  void step(const float* found_inf = nullptr) override;

 private:
  double momentum_, wd_;
  std::vector<Tensor> buf_;
};

// Linear warm-up from 0 to base_lr over `warmup` steps, then linear decay to final_lr at
// `total` steps (REFERENCE §6: warm-up 5 epochs to 1e-3, decay to 1e-6 at the last epoch).
// Defined with the kernels, which evaluate it on the device.
using ss::WarmupLinearSchedule;

}  // namespace ss::optim
