#include "op_util.h"

#include <cstring>

#include "ss/kernels/elementwise.h"
#include "ss/kernels/runtime.h"

namespace ss {

void check_same(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor* first = nullptr;
  for (const Tensor* t : ts) {
    if (!t->defined()) continue;
    if (!first) {
      first = t;
      continue;
    }
    SS_CHECK(t->device() == first->device(), op, ": device mismatch: ", first->desc(), " vs ",
             t->desc());
    SS_CHECK(t->dtype() == first->dtype(), op, ": dtype mismatch: ", first->desc(), " vs ",
             t->desc());
  }
}

void check_dim(const char* op, const Tensor& t, int64_t dim, const char* what) {
  SS_CHECK(t.dim() == dim, op, ": ", what, " must be ", dim, "-D, got ", t.desc());
}

void strided_copy(const StridedCopy& d, const Tensor& src, Tensor& dst) {
  const int es = int(dtype_size(src.dtype()));
  if (src.is_cuda()) {
    SS_CUDA(cuda::copy_strided(d, src.raw(), dst.raw(), es));
    return;
  }
  switch (es) {
    case 1: cpu::copy_strided<uint8_t>(d, (const uint8_t*)src.raw(), (uint8_t*)dst.raw()); break;
    case 2:
      cpu::copy_strided<uint16_t>(d, (const uint16_t*)src.raw(), (uint16_t*)dst.raw());
      break;
    case 4: cpu::copy_strided<int32_t>(d, (const int32_t*)src.raw(), (int32_t*)dst.raw()); break;
    default:
      cpu::copy_strided<int64_t>(d, (const int64_t*)src.raw(), (int64_t*)dst.raw());
  }
}

namespace {
template <class S, class D> void convert_loop(const S* s, D* d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = D(s[i]);
}
template <class D> void convert_from(const Tensor& src, D* d) {
  const int64_t n = src.numel();
  switch (src.dtype()) {
    case DType::F32: convert_loop(src.data<float>(), d, n); break;
    case DType::F64: convert_loop(src.data<double>(), d, n); break;
    case DType::I64: convert_loop(src.data<int64_t>(), d, n); break;
    case DType::I32: convert_loop(src.data<int32_t>(), d, n); break;
    case DType::U8: convert_loop(src.data<uint8_t>(), d, n); break;
    default: SS_FAIL("convert: unsupported source ", src.desc());
  }
}
}  // namespace

void convert_dtype(const Tensor& src, Tensor& dst) {
  const DType a = src.dtype(), b = dst.dtype();
  const int64_t n = src.numel();
  auto half_kind = [&](CastKind& k) {
    if (a == DType::F32 && b == DType::F16) return k = CastKind::F32toF16, true;
    if (a == DType::F16 && b == DType::F32) return k = CastKind::F16toF32, true;
    if (a == DType::F32 && b == DType::BF16) return k = CastKind::F32toBF16, true;
    if (a == DType::BF16 && b == DType::F32) return k = CastKind::BF16toF32, true;
    return false;
  };
  CastKind kind;
  if (half_kind(kind)) {
    if (src.is_cuda())
      SS_CUDA(cuda::cast(kind, src.raw(), dst.raw(), n));
    else
      cpu::cast(kind, src.raw(), dst.raw(), n);
    return;
  }
  if (src.is_cuda()) {  // rare paths go through the host, in dst's memory order
    Tensor h = src.to(Device::cpu()).to(b).contiguous_like(dst);
    if (dst.nbytes()) cuda::memcpy_h2d(dst.raw(), h.raw(), dst.nbytes());
    return;
  }
  if (a == DType::F16 || a == DType::BF16) {
    Tensor f = src.to(DType::F32);
    convert_dtype(f, dst);
    return;
  }
  switch (b) {
    case DType::F32: convert_from(src, dst.data<float>()); break;
    case DType::F64: convert_from(src, dst.data<double>()); break;
    case DType::I64: convert_from(src, dst.data<int64_t>()); break;
    case DType::I32: convert_from(src, dst.data<int32_t>()); break;
    case DType::U8: convert_from(src, dst.data<uint8_t>()); break;
    case DType::F16:
    case DType::BF16: {
      Tensor f = src.to(DType::F32);
      convert_dtype(f, dst);
      break;
    }
  }
}

Tensor empty_channels_last(const Shape& s, DType dt, Device dev) {
  SS_CHECK(s.size() == 4, "empty_channels_last: needs 4 dims, got ", shape_str(s));
  Tensor t = Tensor::empty(s, dt, dev);
  t.impl().strides = {s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]};
  return t;
}

void accumulate_into(Tensor& dst, const Tensor& src) {
  SS_CHECK(dst.shape() == src.shape(), "gradient shape ", shape_str(src.shape()),
           " does not match ", shape_str(dst.shape()));
  SS_CHECK(dst.is_dense(), "accumulate into a non-dense tensor ", dst.desc());
  if (is_half(dst) || is_half(src)) {  // f16 tensors used twice: add in f32, round once
    Tensor sum = dst.to(DType::F32);   // keeps dst's layout
    accumulate_into(sum, src.to(DType::F32));
    convert_dtype(sum, dst);
    return;
  }
  Tensor s = src.contiguous_like(dst);
  backend(dst, "accumulate",
          [&](auto z) {
            using T = decltype(z);
            cpu::axpy<T>(T(1), s.data<T>(), dst.data<T>(), dst.numel());
          },
          [&] { SS_CUDA(cuda::axpy(1.f, s.data<float>(), dst.data<float>(), dst.numel())); });
}

}  // namespace ss
