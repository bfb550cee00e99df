// Shape ops: views where possible (reshape of contiguous data, slice), copies otherwise.
#include <algorithm>
#include <numeric>

#include <vector>

#include "op_util.h"
#include "ss/autograd.h"
#include "ss/kernels/elementwise.h"
#include "ss/kernels/gather.h"
#include "ss/ops.h"

namespace ss {

Tensor reshape(const Tensor& x, Shape shape) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      SS_CHECK(infer < 0, "reshape: more than one -1 in ", shape_str(shape));
      infer = int64_t(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    SS_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot infer -1 for ", x.desc(),
             " -> ", shape_str(shape));
    shape[infer] = x.numel() / known;
  }
  SS_CHECK(shape_numel(shape) == x.numel(), "reshape: ", x.desc(), " cannot become ",
           shape_str(shape));
  Tensor c = x.contiguous();
  Tensor y = make_view(c, shape, contiguous_strides(shape), c.impl().offset);
  Shape orig = x.shape();
  record(y, "reshape", {x}, [orig](const Tensor& g) { return std::vector<Tensor>{reshape(g, orig)}; });
  return y;
}

Tensor flatten(const Tensor& x, int start_dim) {
  Shape s(x.shape().begin(), x.shape().begin() + start_dim);
  s.push_back(-1);
  return reshape(x, s);
}

Tensor permute(const Tensor& x, const std::vector<int>& dims) {
  SS_CHECK(int64_t(dims.size()) == x.dim(), "permute: ", dims.size(), " dims for ", x.desc());
  std::vector<int> seen(dims.size(), 0);
  Shape shape(dims.size()), strides(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    SS_CHECK(dims[i] >= 0 && dims[i] < int(dims.size()) && !seen[dims[i]]++,
             "permute: invalid permutation for ", x.desc());
    shape[i] = x.shape()[dims[i]];
    strides[i] = x.strides()[dims[i]];
  }
  Tensor y = make_view(x, shape, strides, x.impl().offset).contiguous();
  std::vector<int> inv(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) inv[dims[i]] = int(i);
  record(y, "permute", {x}, [inv](const Tensor& g) { return std::vector<Tensor>{permute(g, inv)}; });
  return y;
}

Tensor transpose(const Tensor& x, int d0, int d1) {
  std::vector<int> dims(x.dim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims.at(d0), dims.at(d1));
  return permute(x, dims);
}

Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end) {
  if (dim < 0) dim += int(x.dim());
  SS_CHECK(dim >= 0 && dim < x.dim(), "slice: dim ", dim, " out of range for ", x.desc());
  SS_CHECK(0 <= start && start <= end && end <= x.size(dim), "slice: [", start, ", ", end,
           ") out of range for dim ", dim, " of ", x.desc());
  Shape shape = x.shape();
  shape[dim] = end - start;
  Tensor y = make_view(x, shape, x.strides(), x.impl().offset + start * x.strides()[dim]);
  Shape full = x.shape();
  record(y, "slice", {x}, [full, dim, start, end](const Tensor& g) {
    Tensor dx = Tensor::zeros(full, g.dtype(), g.device());
    Tensor view = make_view(dx, g.shape(), dx.strides(), start * dx.strides()[dim]);
    StridedCopy d;
    d.ndim = int(g.dim());
    Tensor gc = g.contiguous();
    for (int i = 0; i < d.ndim; ++i) {
      d.shape[i] = g.shape()[i];
      d.src_stride[i] = gc.strides()[i];
      d.dst_stride[i] = view.strides()[i];
    }
    strided_copy(d, gc, view);
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor concat(const std::vector<Tensor>& xs, int dim) {
  SS_CHECK(!xs.empty(), "concat: no inputs");
  const Tensor& f = xs[0];
  if (dim < 0) dim += int(f.dim());
  Shape shape = f.shape();
  int64_t total = 0;
  for (const auto& t : xs) {
    check_same("concat", {&f, &t});
    SS_CHECK(t.dim() == f.dim(), "concat: ", t.desc(), " vs ", f.desc());
    for (int i = 0; i < f.dim(); ++i)
      SS_CHECK(i == dim || t.shape()[i] == f.shape()[i], "concat: ", t.desc(), " vs ", f.desc(),
               " differ outside dim ", dim);
    total += t.shape()[dim];
  }
  shape[dim] = total;
  Tensor y = Tensor::empty(shape, f.dtype(), f.device());
  int64_t off = 0;
  std::vector<int64_t> offs;
  for (const auto& t : xs) {
    Tensor tc = t.contiguous();
    Tensor view = make_view(y, tc.shape(), y.strides(), off * y.strides()[dim]);
    StridedCopy d;
    d.ndim = int(tc.dim());
    for (int i = 0; i < d.ndim; ++i) {
      d.shape[i] = tc.shape()[i];
      d.src_stride[i] = tc.strides()[i];
      d.dst_stride[i] = view.strides()[i];
    }
    strided_copy(d, tc, view);
    offs.push_back(off);
    off += t.shape()[dim];
  }
  std::vector<int64_t> sizes;
  for (const auto& t : xs) sizes.push_back(t.shape()[dim]);
  record(y, "concat", xs, [offs, sizes, dim](const Tensor& g) {
    std::vector<Tensor> out;
    for (size_t i = 0; i < offs.size(); ++i)
      out.push_back(slice(g, dim, offs[i], offs[i] + sizes[i]).contiguous());
    return out;
  });
  return y;
}

Tensor rot90(const Tensor& x_in, int k) {
  if (is_half(x_in)) return via_f32([&] { return rot90(to_f32(x_in), k); });
  check_dim("rot90", x_in, 4, "input");
  k = ((k % 4) + 4) % 4;
  Tensor x = x_in.contiguous();
  const int H = int(x.size(2)), W = int(x.size(3));
  const int64_t NC = x.size(0) * x.size(1);
  Shape os = (k % 2) ? Shape{x.size(0), x.size(1), W, H} : x.shape();
  Tensor y = Tensor::empty(os, x.dtype(), x.device());
  backend(x, "rot90",
          [&](auto z) {
            using T = decltype(z);
            cpu::rot90<T>(x.data<T>(), NC, H, W, k, y.data<T>());
          },
          [&] { SS_CUDA(cuda::rot90(x.data<float>(), NC, H, W, k, y.data<float>())); });
  record(y, "rot90", {x_in}, [k](const Tensor& g) { return std::vector<Tensor>{rot90(g, 4 - k)}; });
  return y;
}

Tensor detach(const Tensor& x) { return x.detach(); }

Tensor index_select(const Tensor& x_in, const Tensor& idx_in) {
  if (is_half(x_in)) return index_select(to_f32(x_in), idx_in);
  check_dim("index_select", x_in, 2, "source");
  SS_CHECK(idx_in.dtype() == DType::I64, "index_select: indices must be i64, got ", idx_in.desc());
  Tensor x = x_in.contiguous();
  Tensor idx = idx_in.to(Device::cpu()).contiguous();
  const int64_t rows = x.size(0), D = x.size(1), n = idx.numel();
  const int64_t* ip = idx.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    SS_CHECK(ip[i] >= 0 && ip[i] < rows, "index_select: index ", ip[i], " out of range [0, ",
             rows, ")");
  Shape os = idx.shape();
  os.push_back(D);
  Tensor y = Tensor::empty(os, x.dtype(), x.device());
  const int es = int(dtype_size(x.dtype()));
  if (x.is_cuda()) {
    Tensor idx_dev = idx.to(x.device());
    SS_CUDA(cuda::gather_rows(x.raw(), D, idx_dev.data<int64_t>(), n, y.raw(), es));
  } else {
    cpu::gather_rows(x.raw(), D, ip, n, y.raw(), es);
  }
  Tensor idx_saved = idx;
  record(y, "index_select", {x_in}, [idx_saved, rows, D](const Tensor& g_in) {
    Tensor g = g_in.contiguous();
    Tensor dx = Tensor::zeros({rows, D}, g.dtype(), g.device());
    const int64_t* ip = idx_saved.data<int64_t>();
    const int64_t n = idx_saved.numel();
    backend(g, "index_select backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::scatter_add_rows<T>(g.data<T>(), D, ip, n, dx.data<T>());
            },
            [&] {
              // Group positions by target row on the host (counting sort keeps each row's
              // positions increasing), so the device sums every row in the CPU's order.
              std::vector<int64_t> count(size_t(rows) + 1, 0), tgt, start;
              std::vector<int64_t> pos(static_cast<size_t>(n));
              for (int64_t i = 0; i < n; ++i) ++count[size_t(ip[i]) + 1];
              for (int64_t r = 0; r < rows; ++r) count[r + 1] += count[r];
              std::vector<int64_t> fill(count.begin(), count.end() - 1);
              for (int64_t i = 0; i < n; ++i) pos[size_t(fill[size_t(ip[i])]++)] = i;
              for (int64_t r = 0; r < rows; ++r)
                if (count[r + 1] > count[r]) tgt.push_back(r), start.push_back(count[r]);
              start.push_back(n);
              const int64_t nr = int64_t(tgt.size());
              if (nr == 0) return;
              Tensor t_rows = Tensor::from_vector(tgt, {nr}, g.device());
              Tensor t_start = Tensor::from_vector(start, {nr + 1}, g.device());
              Tensor t_pos = Tensor::from_vector(pos, {n}, g.device());
              SS_CUDA(cuda::scatter_add_rows(g.data<float>(), D, t_rows.data<int64_t>(),
                                             t_start.data<int64_t>(), t_pos.data<int64_t>(), nr,
                                             dx.data<float>()));
            });
    return std::vector<Tensor>{dx};
  });
  return y;
}

void index_copy_(Tensor& dst, const Tensor& idx_in, const Tensor& src_in) {
  check_dim("index_copy_", dst, 2, "destination");
  SS_CHECK(dst.is_contiguous(), "index_copy_: destination ", dst.desc(), " is not contiguous");
  SS_CHECK(idx_in.dtype() == DType::I64, "index_copy_: indices must be i64, got ", idx_in.desc());
  const int64_t rows = dst.size(0), D = dst.size(1), n = idx_in.numel();
  SS_CHECK(src_in.dim() == 2 && src_in.size(0) == n && src_in.size(1) == D,
           "index_copy_: source ", src_in.desc(), " for ", n, " rows of ", dst.desc());
  Tensor idx = idx_in.to(Device::cpu()).contiguous();
  const int64_t* ip = idx.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    SS_CHECK(ip[i] >= 0 && ip[i] < rows, "index_copy_: index ", ip[i], " out of range [0, ",
             rows, ")");
  // Keep the last occurrence of each row, so the parallel scatter has distinct targets.
  std::vector<int64_t> keep_rows, keep_pos;
  {
    std::vector<char> seen(size_t(rows), 0);
    for (int64_t i = n - 1; i >= 0; --i)
      if (!seen[size_t(ip[i])]++) keep_rows.push_back(ip[i]), keep_pos.push_back(i);
  }
  std::reverse(keep_rows.begin(), keep_rows.end());  // source order: keep_pos ascending
  std::reverse(keep_pos.begin(), keep_pos.end());
  NoGradGuard ng;
  Tensor src = src_in.to(dst.dtype()).to(dst.device()).contiguous();
  const int64_t m = int64_t(keep_rows.size());
  // index_select computes f16 in f32 (returns f32): cast back, or an f16 dst would be
  // scattered from f32 bytes.
  if (m < n) src = index_select(src, Tensor::from_vector(keep_pos, {m})).to(dst.dtype());
  const int es = int(dtype_size(dst.dtype()));
  if (dst.is_cuda()) {
    Tensor r = Tensor::from_vector(keep_rows, {m}, dst.device());
    SS_CUDA(cuda::scatter_rows(src.raw(), D, r.data<int64_t>(), m, dst.raw(), es));
  } else {
    cpu::scatter_rows(src.raw(), D, keep_rows.data(), m, dst.raw(), es);
  }
}

}  // namespace ss
