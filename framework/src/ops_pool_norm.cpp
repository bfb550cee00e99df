// Pooling, batch normalisation and L2 normalisation.
#include <cmath>

#include "op_util.h"
#include "ss/autograd.h"
#include "ss/kernels/bn.h"
#include "ss/kernels/loss.h"
#include "ss/kernels/pool.h"
#include "ss/kernels/switches.h"
#include "ss/ops.h"

namespace ss {
namespace {
// The backward from saved window positions (a byte per output) instead of the input:
// the input, a convolution's output and often the step's largest activation (ResNet9's
// first conv block at b512: 537 MB in f16), is freed after the forward, and the backward
// reads a byte where it read four values. On CUDA opt-in (SS_POOL_ARGMAX=1) until it has
// run on a GPU; the host always does it.
bool pool_saves_argmax(const Tensor& x) {
  return !x.is_cuda() || perf_switch("SS_POOL_ARGMAX");
}

// NHWC input (x strictly channels-last, f32/f64 on the CPU, f32/f16 on CUDA).
Tensor max_pool2d_nhwc(const Tensor& x) {
  const int N = int(x.size(0)), C = int(x.size(1)), H = int(x.size(2)), W = int(x.size(3));
  SS_CHECK(H >= 2 && W >= 2, "max_pool2d: input ", x.desc(), " smaller than the 2x2 window");
  Tensor y = empty_channels_last({N, C, H / 2, W / 2}, x.dtype(), x.device());
  const bool argmax = any_requires_grad({x}) && pool_saves_argmax(x);
  Tensor idx = argmax ? Tensor::empty({N, H / 2, W / 2, C}, DType::U8, x.device()) : Tensor();
  uint8_t* ip = argmax ? idx.data<uint8_t>() : nullptr;
  // dy == nullptr: the forward (x -> out, and idx when saved); else the backward into out,
  // from idx when saved, else from x.
  auto run = [N, C, H, W](const Tensor& x, const Tensor* dy, Tensor& out, uint8_t* ip) {
    const bool from_idx = dy && ip;
    if (is_half(out))
      return SS_CUDA(
          from_idx ? cuda::maxpool2_nhwc_bwd_idx_f16(ip, dy->raw(), N, H, W, C, out.raw())
          : dy     ? cuda::maxpool2_nhwc_bwd_f16(x.raw(), dy->raw(), N, H, W, C, out.raw())
                   : cuda::maxpool2_nhwc_fwd_f16(x.raw(), N, H, W, C, out.raw(), ip));
    backend(out, "max_pool2d",
            [&](auto z) {
              using T = decltype(z);
              if (from_idx)
                cpu::maxpool2_nhwc_bwd_idx<T>(ip, dy->data<T>(), N, H, W, C, out.data<T>());
              else if (dy)
                cpu::maxpool2_nhwc_bwd<T>(x.data<T>(), dy->data<T>(), N, H, W, C, out.data<T>());
              else
                cpu::maxpool2_nhwc_fwd<T>(x.data<T>(), N, H, W, C, out.data<T>(), ip);
            },
            [&] {
              SS_CUDA(if (from_idx) cuda::maxpool2_nhwc_bwd_idx(ip, dy->data<float>(), N, H, W,
                                                                C, out.data<float>());
                      else if (dy) cuda::maxpool2_nhwc_bwd(x.data<float>(), dy->data<float>(),
                                                           N, H, W, C, out.data<float>());
                      else cuda::maxpool2_nhwc_fwd(x.data<float>(), N, H, W, C,
                                                   out.data<float>(), ip));
            });
  };
  run(x, nullptr, y, ip);
  if (argmax) {  // keeps idx and x's description, not x
    const Shape xshape = x.shape();
    const DType xdt = x.dtype();
    const Device xdev = x.device();
    record(y, "max_pool2d(nhwc, argmax)", {x}, [idx, xshape, xdt, xdev, run](const Tensor& g_in) {
      Tensor g = g_in.to(xdt).channels_last();
      Tensor dx = empty_channels_last(xshape, xdt, xdev);
      run(Tensor(), &g, dx, idx.data<uint8_t>());
      return std::vector<Tensor>{dx};
    });
    return y;
  }
  Tensor xs = x.detach();
  record(y, "max_pool2d(nhwc)", {x}, [xs, run](const Tensor& g_in) {
    Tensor g = g_in.to(xs.dtype()).channels_last();
    Tensor dx = Tensor::empty_like(xs);
    run(xs, &g, dx, nullptr);
    return std::vector<Tensor>{dx};
  });
  return y;
}
}  // namespace

Tensor max_pool2d(const Tensor& x_in) {
  if (is_half(x_in) && !x_in.is_cuda())
    return via_f32([&] { return max_pool2d(to_f32(x_in)); });
  if (strictly_channels_last(x_in)) return max_pool2d_nhwc(x_in);
  if (is_half(x_in) && x_in.is_cuda()) return max_pool2d_f16_cuda(x_in);
  check_dim("max_pool2d", x_in, 4, "input");
  Tensor x = x_in.contiguous();
  const int64_t NC = x.size(0) * x.size(1);
  const int H = int(x.size(2)), W = int(x.size(3));
  SS_CHECK(H >= 2 && W >= 2, "max_pool2d: input ", x.desc(), " smaller than the 2x2 window");
  Tensor y = Tensor::empty({x.size(0), x.size(1), H / 2, W / 2}, x.dtype(), x.device());
  backend(x, "max_pool2d",
          [&](auto z) {
            using T = decltype(z);
            cpu::maxpool2_fwd<T>(x.data<T>(), NC, H, W, y.data<T>());
          },
          [&] { SS_CUDA(cuda::maxpool2_fwd(x.data<float>(), NC, H, W, y.data<float>())); });
  Tensor xs = x.detach();
  record(y, "max_pool2d", {x_in}, [xs, NC, H, W](const Tensor& g_in) {
    Tensor g = g_in.contiguous();
    Tensor dx = Tensor::empty(xs.shape(), xs.dtype(), xs.device());
    backend(xs, "max_pool2d backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::maxpool2_bwd<T>(xs.data<T>(), g.data<T>(), NC, H, W, dx.data<T>());
            },
            [&] {
              SS_CUDA(cuda::maxpool2_bwd(xs.data<float>(), g.data<float>(), NC, H, W,
                                         dx.data<float>()));
            });
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor global_avg_pool(const Tensor& x_in) {
  if (x_in.dim() == 4 && x_in.is_channels_last() && !x_in.is_contiguous()) {
    // NHWC: a mean over the middle axis of the [N, H*W, C] view (no transpose).
    const int64_t N = x_in.size(0), C = x_in.size(1), HW = x_in.size(2) * x_in.size(3);
    auto nhwc_mean = [&](const Tensor& x) {
      return mean(reshape(permute(x, {0, 2, 3, 1}), {N, HW, C}), 1);
    };
    if (is_half(x_in)) return via_f32([&] { return nhwc_mean(to_f32(x_in)); });
    return nhwc_mean(x_in);
  }
  if (is_half(x_in) && x_in.is_cuda()) return global_avg_pool_f16_cuda(x_in);
  if (is_half(x_in)) return via_f32([&] { return global_avg_pool(to_f32(x_in)); });
  check_dim("global_avg_pool", x_in, 4, "input");
  Tensor x = x_in.contiguous();
  const int64_t N = x.size(0), C = x.size(1), NC = N * C;
  const int HW = int(x.size(2) * x.size(3));
  Tensor y = Tensor::empty({N, C}, x.dtype(), x.device());
  backend(x, "global_avg_pool",
          [&](auto z) {
            using T = decltype(z);
            cpu::avgpool_global_fwd<T>(x.data<T>(), NC, HW, y.data<T>());
          },
          [&] { SS_CUDA(cuda::avgpool_global_fwd(x.data<float>(), NC, HW, y.data<float>())); });
  Shape xshape = x.shape();
  record(y, "global_avg_pool", {x_in}, [xshape, NC, HW](const Tensor& g_in) {
    Tensor g = g_in.contiguous();
    Tensor dx = Tensor::empty(xshape, g.dtype(), g.device());
    backend(g, "global_avg_pool backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::avgpool_global_bwd<T>(g.data<T>(), NC, HW, dx.data<T>());
            },
            [&] { SS_CUDA(cuda::avgpool_global_bwd(g.data<float>(), NC, HW, dx.data<float>())); });
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor batch_norm(const Tensor& x_in, const Tensor& gamma, const Tensor& beta, Tensor rmean,
                  Tensor rvar, bool training, double momentum, double eps) {
  // f16 activations on CUDA: the fused kernels' native f16 path with no activation (the
  // same arithmetic as the f32 route, without casting the tensor to f32 and back).
  if (is_half(x_in) && x_in.is_cuda())
    return batch_norm_act(x_in, gamma, beta, rmean, rvar, training, Act::None, 1.0, Tensor(),
                          momentum, eps);
  if (is_half(x_in))  // f32 parameters and statistics, f16 activations
    return via_f32([&] {
      return batch_norm(to_f32(x_in), gamma, beta, rmean, rvar, training, momentum, eps);
    });
  SS_CHECK(x_in.dim() == 2 || x_in.dim() == 4, "batch_norm: input must be [N,C] or [N,C,H,W], got ",
           x_in.desc());
  check_same("batch_norm", {&x_in, &gamma, &beta, &rmean, &rvar});
  const int C = int(x_in.size(1));
  int N = int(x_in.size(0)), HW = x_in.dim() == 4 ? int(x_in.size(2) * x_in.size(3)) : 1;
  SS_CHECK(gamma.numel() == C && beta.numel() == C, "batch_norm: weight/bias ", gamma.desc(),
           " for ", C, " channels");
  SS_CHECK(training || (rmean.defined() && rvar.defined()),
           "batch_norm: eval mode needs running statistics");
  if (training)
    SS_CHECK(int64_t(N) * HW > 1, "batch_norm: training needs more than one value per channel, got ",
             x_in.desc());
  Tensor x = x_in.dense();
  if (!x.is_contiguous()) {  // NHWC is [N*H*W, C]: the same kernels with HW = 1
    N *= HW;
    HW = 1;
  }
  Tensor y = Tensor::empty_like(x);
  Tensor smean = Tensor::empty({C}, x.dtype(), x.device());
  Tensor sinv = Tensor::empty({C}, x.dtype(), x.device());
  backend(x, "batch_norm",
          [&](auto z) {
            using T = decltype(z);
            if (training) {
              cpu::bn_fwd_train<T>(x.data<T>(), N, C, HW, gamma.data<T>(), beta.data<T>(), T(eps),
                                   T(momentum), rmean.defined() ? rmean.data<T>() : nullptr,
                                   rvar.defined() ? rvar.data<T>() : nullptr, y.data<T>(),
                                   smean.data<T>(), sinv.data<T>());
            } else {
              cpu::bn_fwd_eval<T>(x.data<T>(), N, C, HW, gamma.data<T>(), beta.data<T>(),
                                  rmean.data<T>(), rvar.data<T>(), T(eps), y.data<T>());
            }
          },
          [&] {
            SS_CUDA(if (training) cuda::bn_fwd_train(
                        x.data<float>(), N, C, HW, gamma.data<float>(), beta.data<float>(),
                        float(eps), float(momentum), rmean.defined() ? rmean.data<float>() : nullptr,
                        rvar.defined() ? rvar.data<float>() : nullptr, y.data<float>(),
                        smean.data<float>(), sinv.data<float>());
                    else cuda::bn_fwd_eval(x.data<float>(), N, C, HW, gamma.data<float>(),
                                           beta.data<float>(), rmean.data<float>(),
                                           rvar.data<float>(), float(eps), y.data<float>()));
          });
  if (!any_requires_grad({x_in, gamma, beta})) return y;
  if (!training) {  // statistics are constants: mean = running mean, invstd from running var
    NoGradGuard ng;
    smean = rmean.detach().clone();
    sinv = bn_eval_invstd(rvar, eps, x.dtype());
  }
  Tensor xs = x.detach(), gs = gamma.detach();
  record(y, "batch_norm", {x_in, gamma, beta},
         [xs, gs, smean, sinv, training, N, C, HW](const Tensor& g_in) {
           Tensor g = g_in.contiguous_like(xs);
           Tensor dx = Tensor::empty_like(xs);
           Tensor dg = Tensor::empty({C}, xs.dtype(), xs.device());
           Tensor db = Tensor::empty({C}, xs.dtype(), xs.device());
           backend(xs, "batch_norm backward",
                   [&](auto z) {
                     using T = decltype(z);
                     cpu::bn_bwd<T>(xs.data<T>(), g.data<T>(), N, C, HW, gs.data<T>(),
                                    smean.data<T>(), sinv.data<T>(), training, dx.data<T>(),
                                    dg.data<T>(), db.data<T>());
                   },
                   [&] {
                     SS_CUDA(cuda::bn_bwd(xs.data<float>(), g.data<float>(), N, C, HW,
                                          gs.data<float>(), smean.data<float>(),
                                          sinv.data<float>(), training, dx.data<float>(),
                                          dg.data<float>(), db.data<float>()));
                   });
           return std::vector<Tensor>{dx, dg, db};
         });
  return y;
}

Tensor bn_eval_invstd(const Tensor& running_var, double eps, DType dt) {
  if (running_var.is_cuda() && running_var.dtype() == DType::F32) {
    Tensor v = running_var.contiguous();
    Tensor out = Tensor::empty(v.shape(), DType::F32, v.device());
    SS_CUDA(cuda::bn_eval_invstd(v.data<float>(), int(v.numel()), eps, out.data<float>()));
    return out.to(dt);
  }
  std::vector<double> iv = running_var.to(Device::cpu()).to(DType::F64).to_vector<double>();
  for (auto& e : iv) e = 1.0 / std::sqrt(e + eps);
  return Tensor::from_vector(iv, running_var.shape()).to(dt).to(running_var.device());
}

Tensor l2_normalize(const Tensor& x_in, double eps) {
  if (is_half(x_in)) return l2_normalize(to_f32(x_in), eps);
  check_dim("l2_normalize", x_in, 2, "input");
  Tensor x = x_in.contiguous();
  const int64_t rows = x.size(0);
  const int D = int(x.size(1));
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor nrm = Tensor::empty({rows}, x.dtype(), x.device());
  backend(x, "l2_normalize",
          [&](auto z) {
            using T = decltype(z);
            cpu::l2norm_fwd<T>(x.data<T>(), rows, D, T(eps), y.data<T>(), nrm.data<T>());
          },
          [&] {
            SS_CUDA(cuda::l2norm_fwd(x.data<float>(), rows, D, float(eps), y.data<float>(),
                                     nrm.data<float>()));
          });
  Tensor ys = y.detach();
  record(y, "l2_normalize", {x_in}, [ys, nrm, rows, D, eps](const Tensor& g_in) {
    Tensor g = g_in.contiguous();
    Tensor dx = Tensor::empty(ys.shape(), ys.dtype(), ys.device());
    backend(ys, "l2_normalize backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::l2norm_bwd<T>(ys.data<T>(), nrm.data<T>(), g.data<T>(), rows, D, T(eps),
                                 dx.data<T>());
            },
            [&] {
              SS_CUDA(cuda::l2norm_bwd(ys.data<float>(), nrm.data<float>(), g.data<float>(), rows,
                                       D, float(eps), dx.data<float>()));
            });
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace ss
