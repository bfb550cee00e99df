// Internal helpers shared by op implementations: backend dispatch and shape checks.
#pragma once
#include <string>

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

}  // namespace ss
