// Native f16 ops on CUDA (kernels/include/ss/kernels/half.h): the mixed-precision step
// keeps activations and their gradients in f16 without casting around every op. On the CPU
// the same ops go through via_f32, which rounds identically; ops.cpp files route to these.
#include "op_util.h"
#include "ss/autograd.h"
#include "ss/kernels/half.h"

namespace ss {
namespace {
Tensor like(const Tensor& t) { return Tensor::empty_like(t); }
// Gradients reaching an f16 tensor are f16 (cast's backward guarantees it); be safe anyway.
// Pointwise ops need the gradient in the layout of the saved tensor.
Tensor half_grad(const Tensor& g, const Tensor& like) { return g.to(DType::F16).contiguous_like(like); }
Tensor half_grad(const Tensor& g) { return g.to(DType::F16).contiguous(); }
}  // namespace

Tensor relu_f16_cuda(const Tensor& x_in) {
  Tensor x = x_in.dense(), y = like(x);
  SS_CUDA(cuda::relu_fwd_f16(x.raw(), y.raw(), x.numel()));
  Tensor xs = x.detach();
  record(y, "relu(f16)", {x_in}, [xs](const Tensor& g_in) {
    Tensor g = half_grad(g_in, xs), dx = like(xs);
    SS_CUDA(cuda::relu_bwd_f16(xs.raw(), g.raw(), dx.raw(), xs.numel()));
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor celu_f16_cuda(const Tensor& x_in, double alpha) {
  Tensor x = x_in.dense(), y = like(x);
  SS_CUDA(cuda::celu_fwd_f16(x.raw(), y.raw(), x.numel(), float(alpha)));
  Tensor xs = x.detach();
  record(y, "celu(f16)", {x_in}, [xs, alpha](const Tensor& g_in) {
    Tensor g = half_grad(g_in, xs), dx = like(xs);
    SS_CUDA(cuda::celu_bwd_f16(xs.raw(), g.raw(), dx.raw(), xs.numel(), float(alpha)));
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor scale_f16_cuda(const Tensor& x_in, double s) {
  Tensor x = x_in.dense(), y = like(x);
  SS_CUDA(cuda::scale_f16(x.raw(), float(s), y.raw(), x.numel()));
  record(y, "scale(f16)", {x_in}, [s](const Tensor& g_in) {
    Tensor g = g_in.to(DType::F16).dense(), dx = like(g);
    SS_CUDA(cuda::scale_f16(g.raw(), float(s), dx.raw(), g.numel()));
    return std::vector<Tensor>{dx};
  });
  return y;
}

// Same shape, or a [C] bias over [N, C, ...].
Tensor add_f16_cuda(const Tensor& a_in, const Tensor& b_in) {
  if (b_in.dim() == 1 && a_in.dim() >= 2 && a_in.size(1) == b_in.size(0) &&
      a_in.shape() != b_in.shape()) {
    // NHWC (a conv's output under channels-last) is [N*H*W, C] with inner == 1: bias and
    // its gradient run on that layout directly, and the result stays NHWC.
    Tensor a = a_in.dense(), b = b_in.contiguous();
    const bool nhwc = strictly_channels_last(a);
    const int64_t C = a.size(1);
    const int64_t N = nhwc ? a.numel() / std::max<int64_t>(C, 1) : a.size(0);
    const int64_t inner = nhwc ? 1 : a.numel() / std::max<int64_t>(N * C, 1);
    Tensor y = a.clone();  // keeps NHWC
    SS_CUDA(cuda::bias_add_f16(y.raw(), b.raw(), N, int(C), inner));
    record(y, "add(bias, f16)", {a_in, b_in}, [N, C, inner, nhwc](const Tensor& g_in) {
      Tensor g = nhwc ? g_in.to(DType::F16).channels_last() : half_grad(g_in);
      Tensor db = Tensor::empty({C}, DType::F16, g.device());
      SS_CUDA(cuda::bias_grad_f16(g.raw(), N, int(C), inner, db.raw()));
      return std::vector<Tensor>{g, db};
    });
    return y;
  }
  SS_CHECK(a_in.shape() == b_in.shape(), "add: shapes differ: ", a_in.desc(), " + ", b_in.desc());
  Tensor a = a_in.dense(), b = b_in.contiguous_like(a);
  Tensor y = like(a);
  SS_CUDA(cuda::add_f16(a.raw(), b.raw(), y.raw(), a.numel()));
  record(y, "add(f16)", {a_in, b_in}, [](const Tensor& g) { return std::vector<Tensor>{g, g}; });
  return y;
}

Tensor max_pool2d_f16_cuda(const Tensor& x_in) {
  check_dim("max_pool2d", x_in, 4, "input");
  Tensor x = x_in.contiguous();
  const int64_t NC = x.size(0) * x.size(1);
  const int H = int(x.size(2)), W = int(x.size(3));
  SS_CHECK(H >= 2 && W >= 2, "max_pool2d: input ", x.desc(), " smaller than the 2x2 window");
  Tensor y = Tensor::empty({x.size(0), x.size(1), H / 2, W / 2}, DType::F16, x.device());
  SS_CUDA(cuda::maxpool2_fwd_f16(x.raw(), NC, H, W, y.raw()));
  Tensor xs = x.detach();
  record(y, "max_pool2d(f16)", {x_in}, [xs, NC, H, W](const Tensor& g_in) {
    Tensor g = half_grad(g_in), dx = like(xs);
    SS_CUDA(cuda::maxpool2_bwd_f16(xs.raw(), g.raw(), NC, H, W, dx.raw()));
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor global_avg_pool_f16_cuda(const Tensor& x_in) {
  check_dim("global_avg_pool", x_in, 4, "input");
  Tensor x = x_in.contiguous();
  const int64_t N = x.size(0), C = x.size(1), NC = N * C;
  const int HW = int(x.size(2) * x.size(3));
  Tensor y = Tensor::empty({N, C}, DType::F16, x.device());
  SS_CUDA(cuda::avgpool_global_fwd_f16(x.raw(), NC, HW, y.raw()));
  Shape xshape = x.shape();
  record(y, "global_avg_pool(f16)", {x_in}, [xshape, NC, HW](const Tensor& g_in) {
    Tensor g = half_grad(g_in);
    Tensor dx = Tensor::empty(xshape, DType::F16, g.device());
    SS_CUDA(cuda::avgpool_global_bwd_f16(g.raw(), NC, HW, dx.raw()));
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace ss
