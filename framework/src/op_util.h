// Internal helpers shared by op implementations: backend dispatch and shape checks.
#pragma once
#include <string>

#include "ss/amp.h"
#include "ss/kernels/elementwise.h"
#include "ss/kernels/error.h"
#include "ss/tensor.h"

#ifdef SS_WITH_CUDA
#define SS_CUDA(...) __VA_ARGS__
#else
#define SS_CUDA(...) SS_FAIL("CUDA tensor in a build without CUDA")
#endif

namespace ss {

// Calls cpu_fn(T{}) with T = float/double matching t's dtype, or cuda_fn() for CUDA
// tensors (f32 only).
template <class CpuFn, class CudaFn>
void backend(const Tensor& t, const char* op, CpuFn&& cpu_fn, CudaFn&& cuda_fn) {
  if (t.is_cuda()) {
    SS_CHECK(t.dtype() == DType::F32, op, ": CUDA kernels take f32, got ", t.desc());
    cuda_fn();
    return;
  }
  switch (t.dtype()) {
    case DType::F32: cpu_fn(float{}); break;
    case DType::F64: cpu_fn(double{}); break;
    default: SS_FAIL(op, ": needs a float tensor (f32/f64), got ", t.desc());
  }
}

// Same device and dtype for all defined tensors, else an error naming the op.
void check_same(const char* op, std::initializer_list<const Tensor*> ts);
void check_dim(const char* op, const Tensor& t, int64_t dim, const char* what);

void strided_copy(const StridedCopy& d, const Tensor& src, Tensor& dst);
void convert_dtype(const Tensor& src, Tensor& dst);  // contiguous, same shape/device

// dst += src (same shape, contiguous) — used for gradient accumulation.
void accumulate_into(Tensor& dst, const Tensor& src);

// Uninitialised 4-D [N, C, H, W] tensor with NHWC memory order.
Tensor empty_channels_last(const Shape& shape, DType dt, Device dev);
inline bool strictly_channels_last(const Tensor& t) {
  return t.is_channels_last() && !t.is_contiguous();
}

// ---- mixed precision (policy in ss/amp.h) ----
inline bool is_half(const Tensor& t) { return t.defined() && t.dtype() == DType::F16; }
// Differentiable casts that pass undefined tensors and tensors already of the type through.
// Eval-mode BN's constant invstd for a backward pass: 1 / sqrt(running_var + eps) in
// double, rounded to dt; on a GPU computed there (no host round trip in a step).
Tensor bn_eval_invstd(const Tensor& running_var, double eps, DType dt);
Tensor to_f32(const Tensor& t);  // from f16 only: f32 and f64 stay as they are
Tensor to_f16(const Tensor& t);
// The conv/matmul rule: compute in f16 when autocast is on or an input already is f16.
bool autocast_half(std::initializer_list<const Tensor*> ts);

// Native f16 CUDA ops (ops_half_cuda.cpp); the public ops route CUDA f16 tensors here.
Tensor relu_f16_cuda(const Tensor& x);
Tensor celu_f16_cuda(const Tensor& x, double alpha);
Tensor scale_f16_cuda(const Tensor& x, double s);
Tensor add_f16_cuda(const Tensor& a, const Tensor& b);  // same shape or [C] channel bias
Tensor max_pool2d_f16_cuda(const Tensor& x);
Tensor global_avg_pool_f16_cuda(const Tensor& x);

// An f16 op computed in f32 and rounded back: inputs are exact upcasts, so this is what a
// half kernel with f32 arithmetic does (the CPU path of every f16 op, and the CUDA path of
// those without a native half kernel). f returns the f32 result.
template <class F>
Tensor via_f32(F&& f) {
  Tensor r;
  {
    AutocastOff off;
    r = f();
  }
  return to_f16(r);
}

}  // namespace ss
