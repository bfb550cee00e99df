// Dynamic loss scaling for mixed precision (torch.cuda.amp.GradScaler semantics):
//
//   Tensor loss = ...;                      // under AutocastGuard (ss/amp.h)
//   scaler.scale(loss).backward();          // gradients of loss * S
//   scaler.step(opt);                       // unscale by 1/S, check for Inf/NaN, step or skip
//   scaler.update();                        // S /= 2 on overflow, S *= 2 after growth_interval
//                                           // finite steps in a row
//
// The scale, its inverse, the growth tracker and the found_inf flag are one-element tensors
// on the scaler's device; the overflow decision is taken by the optimiser kernels reading
// found_inf there, so on CUDA no method but scale_value() synchronises with the host.
// Disabled, every method is a pass-through (scale(loss) == loss, step == opt.step()).
#pragma once
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "ss/optim.h"
#include "ss/tensor.h"

namespace ss {

class GradScaler {
 public:
  explicit GradScaler(Device dev, double init_scale = 65536.0, double growth = 2.0,
                      double backoff = 0.5, int growth_interval = 2000, bool enabled = true);

  bool enabled() const { return enabled_; }
  // loss * scale, differentiable in loss (f32 or f64 loss on the scaler's device).
  Tensor scale(const Tensor& loss) const;
  // Multiplies the parameters' gradients by 1/scale in place and records non-finite values
  // in found_inf. Each parameter is unscaled at most once per step (until update()).
  void unscale(const std::vector<Tensor>& params);
  // Unscales the optimiser's parameters not unscaled yet, then steps it with found_inf:
  // an overflow leaves parameters, moments and the applied-step count unchanged.
  void step(optim::Optimizer& opt);
  // Updates the scale from this step's found_inf (needs unscale or step since the last one).
  void update();

  double scale_value() const;  // host read: logging only (1 when disabled)
  const Tensor& found_inf() const { return found_inf_; }  // f32[1], 1 = this step overflowed
  // Checkpoint state: {"scale": f32[1], "growth_tracker": i32[1]} (empty when disabled).
  std::map<std::string, Tensor> state_dict() const;
  // Restores the state; missing keys keep the current (fresh) values.
  void load_state_dict(const std::map<std::string, Tensor>& sd);

 private:
  Device dev_;
  double growth_, backoff_;
  int growth_interval_;
  bool enabled_;
  Tensor scale_, inv_scale_, growth_tracker_, found_inf_;
  bool checked_ = false;  // found_inf holds this step's check (unscale ran since update)
  std::unordered_set<const TensorImpl*> unscaled_;  // parameters unscaled this step
};

}  // namespace ss
