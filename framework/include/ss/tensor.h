// Tensor: a strided view onto reference-counted Storage, with autograd metadata.
// Views (reshape of contiguous data, slice, permute) share Storage; ops that need
// dense data call contiguous(). Copying a Tensor copies the handle, not the data.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "ss/dtype.h"
#include "ss/kernels/error.h"

namespace ss {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);
int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);

struct Node;

class Storage {
 public:
  Storage(size_t bytes, Device dev);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape, strides;
  DType dtype = DType::F32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories (data uninitialised for empty) ----
  static Tensor empty(const Shape& shape, DType dt = DType::F32, Device dev = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dt = DType::F32, Device dev = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dt = DType::F32,
                     Device dev = Device::cpu());
  static Tensor ones(const Shape& shape, DType dt = DType::F32, Device dev = Device::cpu()) {
    return full(shape, 1.0, dt, dev);
  }
  template <class T>
  static Tensor from_vector(const std::vector<T>& v, const Shape& shape,
                            Device dev = Device::cpu());
  // Philox-seeded fills (identical on CPU and CUDA for the same seed/offset).
  static Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed,
                        uint64_t offset = 0, DType dt = DType::F32, Device dev = Device::cpu());
  static Tensor normal(const Shape& shape, double mean, double std, uint64_t seed,
                       uint64_t offset = 0, DType dt = DType::F32, Device dev = Device::cpu());

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  int64_t dim() const { return int64_t(impl().shape.size()); }
  int64_t size(int64_t d) const;
  int64_t numel() const { return shape_numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  bool is_cuda() const { return device().is_cuda(); }
  bool is_contiguous() const;
  // 4-D with NHWC memory order (strides [H*W*C, 1, W*C, C]); the GPU's fast layout for
  // convolutions. Shape stays [N, C, H, W] (PyTorch's channels_last).
  bool is_channels_last() const;
  bool is_dense() const { return is_contiguous() || is_channels_last(); }
  size_t nbytes() const { return size_t(numel()) * dtype_size(dtype()); }
  std::string desc() const;  // "f32[2, 3] on cpu" for error messages

  // ---- data access ----
  void* raw() const;  // pointer to the first element
  template <class T> T* data() const;
  template <class T> std::vector<T> to_vector() const;  // copies to host (any device)
  double item() const;                                   // numel()==1, any float dtype

  // ---- copies and conversions (not differentiable unless noted in ops.h) ----
  Tensor contiguous() const;
  Tensor channels_last() const;  // NHWC copy of a 4-D tensor (itself when it already is)
  Tensor dense() const;          // itself when dense (NCHW or NHWC), else contiguous()
  // The layout of `like` (NHWC if like is strictly channels-last, else contiguous).
  Tensor contiguous_like(const Tensor& like) const;
  // Same shape/dtype/device, and NHWC strides when t is strictly channels-last.
  static Tensor empty_like(const Tensor& t);
  Tensor clone() const;
  Tensor to(Device dev) const;
  Tensor to(DType dt) const;
  void copy_(const Tensor& src);  // same shape; any device/dtype pair with a cast path
  void zero_();
  void fill_(double v);

  // ---- autograd ----
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& set_requires_grad(bool r);
  Tensor grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }
  void set_grad(const Tensor& g) { impl().grad = g.impl_; }
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  // Reverse-mode from this tensor. A scalar uses gradient 1; others need `grad`.
  void backward(const Tensor& grad = Tensor()) const;
  Tensor detach() const;  // shares storage, no history

  TensorImpl& impl() const {
    SS_CHECK(impl_, "use of an undefined Tensor");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Make a tensor viewing `base`'s storage with new geometry (no copy, no autograd).
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);

}  // namespace ss
