#include "ss/tensor.h"

#include <cstring>
#include <sstream>

#include "op_util.h"
#include "ss/allocator.h"
#include "ss/autograd.h"
#include "ss/kernels/elementwise.h"
#include "ss/kernels/random.h"
#include "ss/kernels/runtime.h"

namespace ss {

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (int64_t i = int64_t(s.size()) - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

Storage::Storage(size_t bytes, Device dev) : bytes_(bytes), device_(dev) {
  if (dev.is_cuda())
    SS_CHECK(cuda_available(), "tensor on ", dev.str(), " requested but no CUDA device: ",
             cuda::unavailable_reason());
  data_ = CachingAllocator::for_device(dev).allocate(bytes);
}

Storage::~Storage() { CachingAllocator::for_device(device_).release(data_); }

Tensor Tensor::empty(const Shape& shape, DType dt, Device dev) {
  for (auto d : shape) SS_CHECK(d >= 0, "negative dimension in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(size_t(shape_numel(shape)) * dtype_size(dt), dev);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dt;
  return Tensor(impl);
}

Tensor Tensor::zeros(const Shape& shape, DType dt, Device dev) {
  Tensor t = empty(shape, dt, dev);
  t.zero_();
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dt, Device dev) {
  Tensor t = empty(shape, dt, dev);
  t.fill_(value);
  return t;
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& v, const Shape& shape, Device dev) {
  SS_CHECK(int64_t(v.size()) == shape_numel(shape), "from_vector: ", v.size(),
           " values for shape ", shape_str(shape));
  Tensor t = empty(shape, dtype_of<T>(), Device::cpu());
  if (!v.empty()) std::memcpy(t.raw(), v.data(), v.size() * sizeof(T));
  return dev.is_cuda() ? t.to(dev) : t;
}
template Tensor Tensor::from_vector<float>(const std::vector<float>&, const Shape&, Device);
template Tensor Tensor::from_vector<double>(const std::vector<double>&, const Shape&, Device);
template Tensor Tensor::from_vector<int64_t>(const std::vector<int64_t>&, const Shape&, Device);
template Tensor Tensor::from_vector<int32_t>(const std::vector<int32_t>&, const Shape&, Device);
template Tensor Tensor::from_vector<uint8_t>(const std::vector<uint8_t>&, const Shape&, Device);

Tensor Tensor::uniform(const Shape& shape, double lo, double hi, uint64_t seed, uint64_t offset,
                       DType dt, Device dev) {
  Tensor t = empty(shape, dt, dev);
  backend(t, "uniform",
          [&](auto z) {
            using T = decltype(z);
            cpu::fill_uniform<T>(t.data<T>(), t.numel(), seed, offset, T(lo), T(hi));
          },
          [&] { SS_CUDA(cuda::fill_uniform(t.data<float>(), t.numel(), seed, offset, lo, hi)); });
  return t;
}

Tensor Tensor::normal(const Shape& shape, double mean, double std, uint64_t seed,
                      uint64_t offset, DType dt, Device dev) {
  Tensor t = empty(shape, dt, dev);
  backend(t, "normal",
          [&](auto z) {
            using T = decltype(z);
            cpu::fill_normal<T>(t.data<T>(), t.numel(), seed, offset, T(mean), T(std));
          },
          [&] { SS_CUDA(cuda::fill_normal(t.data<float>(), t.numel(), seed, offset, mean, std)); });
  return t;
}

int64_t Tensor::size(int64_t d) const {
  const int64_t n = dim();
  if (d < 0) d += n;
  SS_CHECK(d >= 0 && d < n, "dimension ", d, " out of range for ", desc());
  return shape()[d];
}

bool Tensor::is_contiguous() const {
  const auto& sh = shape();
  const auto& st = strides();
  int64_t acc = 1;
  for (int64_t i = int64_t(sh.size()) - 1; i >= 0; --i) {
    if (sh[i] != 1 && st[i] != acc) return false;
    acc *= sh[i];
  }
  return true;
}

std::string Tensor::desc() const {
  if (!defined()) return "undefined";
  return std::string(dtype_name(dtype())) + shape_str(shape()) + " on " + device().str();
}

void* Tensor::raw() const {
  return static_cast<char*>(impl().storage->data()) + impl().offset * dtype_size(dtype());
}

template <class T> T* Tensor::data() const {
  constexpr bool is16 = std::is_same_v<T, uint16_t>;
  if constexpr (is16) {
    SS_CHECK(dtype() == DType::F16 || dtype() == DType::BF16, "data<u16>() on ", desc());
  } else {
    SS_CHECK(dtype() == dtype_of<T>(), "data<", dtype_name(dtype_of<T>()), ">() on ", desc());
  }
  return static_cast<T*>(raw());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int64_t* Tensor::data<int64_t>() const;
template int32_t* Tensor::data<int32_t>() const;
template uint8_t* Tensor::data<uint8_t>() const;
template uint16_t* Tensor::data<uint16_t>() const;

template <class T> std::vector<T> Tensor::to_vector() const {
  Tensor c = contiguous();
  if (c.is_cuda()) c = c.to(Device::cpu());
  if (c.dtype() != dtype_of<T>()) c = c.to(dtype_of<T>());
  std::vector<T> v(size_t(c.numel()));
  if (!v.empty()) std::memcpy(v.data(), c.raw(), v.size() * sizeof(T));
  return v;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;

double Tensor::item() const {
  SS_CHECK(numel() == 1, "item() needs one element, got ", desc());
  return to_vector<double>()[0];
}

namespace {
Shape channels_last_strides(const Shape& s) {
  return {s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]};
}
}  // namespace

bool Tensor::is_channels_last() const {
  if (dim() != 4) return false;
  const Shape want = channels_last_strides(shape());
  for (int i = 0; i < 4; ++i)
    if (shape()[i] != 1 && strides()[i] != want[i]) return false;
  return true;
}

Tensor Tensor::empty_like(const Tensor& t) {
  Tensor out = empty(t.shape(), t.dtype(), t.device());
  if (strictly_channels_last(t)) out.impl().strides = channels_last_strides(t.shape());
  return out;
}

Tensor Tensor::channels_last() const {
  SS_CHECK(dim() == 4, "channels_last: needs a 4-D tensor, got ", desc());
  if (is_channels_last()) return *this;
  Tensor out = empty(shape(), dtype(), device());
  out.impl().strides = channels_last_strides(shape());
  StridedCopy d;
  d.ndim = 4;
  for (int i = 0; i < 4; ++i) {
    d.shape[i] = shape()[i];
    d.src_stride[i] = strides()[i];
    d.dst_stride[i] = out.strides()[i];
  }
  strided_copy(d, *this, out);
  return out;
}

Tensor Tensor::dense() const { return is_dense() ? *this : contiguous(); }

Tensor Tensor::contiguous_like(const Tensor& like) const {
  return strictly_channels_last(like) ? channels_last() : contiguous();
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape(), dtype(), device());
  StridedCopy d;
  SS_CHECK(dim() <= kMaxDims, "contiguous: more than ", kMaxDims, " dims in ", desc());
  d.ndim = int(dim());
  for (int i = 0; i < d.ndim; ++i) {
    d.shape[i] = shape()[i];
    d.src_stride[i] = strides()[i];
    d.dst_stride[i] = out.strides()[i];
  }
  strided_copy(d, *this, out);
  return out;
}

Tensor Tensor::clone() const {
  if (strictly_channels_last(*this)) {  // keep NHWC: a flat copy of the same layout
    Tensor out = empty_like(*this);
    Tensor flat_src = make_view(*this, {numel()}, {1}, impl().offset);
    Tensor flat_dst = make_view(out, {numel()}, {1}, 0);
    flat_dst.copy_(flat_src);
    return out;
  }
  Tensor src = contiguous();
  Tensor out = empty(shape(), dtype(), device());
  out.copy_(src);
  return out;
}

Tensor Tensor::to(Device dev) const {
  if (device() == dev) return *this;
  SS_CHECK(device().is_cpu() || dev.is_cpu(), "to: no direct copy ", device().str(), " -> ", dev.str());
  Tensor src = contiguous();
  Tensor out = empty(shape(), dtype(), dev);
  if (nbytes() == 0) return out;
  if (dev.is_cuda())
    cuda::memcpy_h2d(out.raw(), src.raw(), nbytes());
  else
    cuda::memcpy_d2h(out.raw(), src.raw(), nbytes());
  return out;
}

Tensor Tensor::to(DType dt) const {
  if (dtype() == dt) return *this;
  Tensor src = dense();  // an NHWC tensor converts element by element, keeping its layout
  Tensor out = empty(shape(), dt, device());
  out.impl().strides = src.strides();
  convert_dtype(src, out);
  return out;
}

void Tensor::copy_(const Tensor& src) {
  SS_CHECK(shape() == src.shape(), "copy_: shape ", shape_str(src.shape()), " into ",
           shape_str(shape()));
  SS_CHECK(is_contiguous(), "copy_ into a non-contiguous tensor ", desc());
  Tensor s = src.contiguous();
  if (!(s.device() == device())) s = s.to(device());
  if (s.dtype() != dtype()) s = s.to(dtype());
  if (nbytes() == 0 || s.raw() == raw()) return;
  if (is_cuda())
    cuda::memcpy_d2d(raw(), s.raw(), nbytes());
  else
    std::memcpy(raw(), s.raw(), nbytes());
}

void Tensor::zero_() {
  SS_CHECK(is_contiguous(), "zero_ on a non-contiguous tensor ", desc());
  if (nbytes() == 0) return;
  if (is_cuda())
    cuda::memset_zero(raw(), nbytes());
  else
    std::memset(raw(), 0, nbytes());
}

void Tensor::fill_(double v) {
  SS_CHECK(is_contiguous(), "fill_ on a non-contiguous tensor ", desc());
  if (v == 0.0) return zero_();
  if (is_cuda()) {
    SS_CHECK(dtype() == DType::F32, "fill_ on CUDA supports f32, got ", desc());
    SS_CUDA(cuda::fill(data<float>(), numel(), float(v)));
    return;
  }
  switch (dtype()) {
    case DType::F32: cpu::fill<float>(data<float>(), numel(), float(v)); break;
    case DType::F64: cpu::fill<double>(data<double>(), numel(), v); break;
    case DType::I64: std::fill_n(data<int64_t>(), numel(), int64_t(v)); break;
    case DType::I32: std::fill_n(data<int32_t>(), numel(), int32_t(v)); break;
    case DType::U8: std::fill_n(data<uint8_t>(), numel(), uint8_t(v)); break;
    default: copy_(full(shape(), v, DType::F32).to(dtype()));
  }
}

Tensor& Tensor::set_requires_grad(bool r) {
  SS_CHECK(!r || is_floating(dtype()), "requires_grad on non-float tensor ", desc());
  impl().requires_grad = r;
  return *this;
}

void Tensor::backward(const Tensor& grad) const { run_backward(*this, grad); }

Tensor Tensor::detach() const {
  auto impl2 = std::make_shared<TensorImpl>();
  impl2->storage = impl().storage;
  impl2->offset = impl().offset;
  impl2->shape = impl().shape;
  impl2->strides = impl().strides;
  impl2->dtype = impl().dtype;
  return Tensor(impl2);
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl().storage;
  impl->offset = offset;
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = base.dtype();
  return Tensor(impl);
}

}  // namespace ss
