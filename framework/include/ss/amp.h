// Mixed precision: an autocast scope in which convolutions and matrix products run in
// binary16 (F16 storage, f32 accumulation: cuDNN/cuBLAS tensor cores on the GPU, an
// exact-upcast f32 computation rounded to f16 on the CPU), while parameters stay f32
// (the "master weights"): each op casts its f32 weight to f16 through the differentiable
// `cast`, whose backward returns an f32 gradient to the parameter.
//
// Op policy under autocast (mirrors torch.autocast):
//   to f16:      conv2d, conv_transpose2d, matmul, linear
//   keep f16:    batch_norm (f32 parameters and statistics), relu, celu, max_pool2d,
//                global_avg_pool, add/sub/mul (f16 only when both inputs are f16), scale,
//                shape ops
//   to f32:      losses, log_softmax, l2_normalize, exp, tanh, softclip, reductions
// The "to f32" and "keep f16" rules apply whether or not autocast is on, so an f16
// tensor is always safe to pass to any op.
#pragma once
#include "ss/tensor.h"

namespace ss {

// Differentiable dtype conversion between float types (backward converts the gradient
// back to the input's dtype). Returns x itself when it already has dtype `dt`.
Tensor cast(const Tensor& x, DType dt);

class Autocast {
 public:
  static bool enabled();
  static void set_enabled(bool on);
};

// Channels-last (NHWC) activations within a scope: conv2d converts its 4-D input to NHWC
// (the layout cuDNN's tensor-core kernels run natively; on the CPU the convolution converts
// to NCHW and back, so the mode is only for tests there) and batch_norm, relu, celu, add,
// scale and global_avg_pool keep the layout; every other op sees a contiguous copy.
class ChannelsLast {
 public:
  static bool enabled();
  static void set_enabled(bool on);
};

class ChannelsLastGuard {
 public:
  explicit ChannelsLastGuard(bool enabled = true) : prev_(ChannelsLast::enabled()) {
    ChannelsLast::set_enabled(prev_ || enabled);
  }
  ~ChannelsLastGuard() { ChannelsLast::set_enabled(prev_); }
  ChannelsLastGuard(const ChannelsLastGuard&) = delete;
  ChannelsLastGuard& operator=(const ChannelsLastGuard&) = delete;

 private:
  bool prev_;
};

// Differentiable NHWC conversion of a 4-D tensor (the gradient returns in x's layout).
Tensor to_channels_last(const Tensor& x);

// Enables autocast for the current thread within a scope (a no-op when enabled=false).
class AutocastGuard {
 public:
  explicit AutocastGuard(bool enabled = true) : prev_(Autocast::enabled()) {
    Autocast::set_enabled(prev_ || enabled);
  }
  ~AutocastGuard() { Autocast::set_enabled(prev_); }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool prev_;
};

// Autocast off within a scope (AutocastGuard only ever turns it on): for the f32
// computation inside an f16 op, or a product that must stay f32 inside an autocast region.
class AutocastOff {
 public:
  AutocastOff() : prev_(Autocast::enabled()) { Autocast::set_enabled(false); }
  ~AutocastOff() { Autocast::set_enabled(prev_); }
  AutocastOff(const AutocastOff&) = delete;
  AutocastOff& operator=(const AutocastOff&) = delete;

 private:
  bool prev_;
};

}  // namespace ss
