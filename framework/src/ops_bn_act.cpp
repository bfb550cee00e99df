// Fused batch norm + activation (+ residual add): y = act(batch_norm(x) + residual).
//
// Saved for backward: x (batch_norm keeps it too), per-channel statistics and BN's affine
// coefficients, plus the output y for ReLU (its mask; y is usually kept by the next op
// anyway) or the residual for CELU with a residual. The unfused ops would also keep the
// activation's input (BN's output, or BN's output + residual): one activation less.
#include <cmath>
#include <vector>

#include "op_util.h"
#include "ss/autograd.h"
#include "ss/kernels/bn_act.h"
#include "ss/kernels/switches.h"
#include "ss/ops.h"

namespace ss {
namespace {

// SS_BN_CUDNN=1 (opt-in until it has run on a GPU): f16 channels-last training batch norm
// by cuDNN's semi-persistent NHWC kernels (what PyTorch's AMP step runs), with ReLU and
// the residual add fused in. They read each activation once per direction where ours
// (bn_act.cu) read it twice; CELU, and identity with a residual, stay with ours.
bool use_cudnn_bn(const Tensor& x_in, const Tensor& x, bool half, bool training, Act act,
                  bool residual, double eps) {
  static const bool on = perf_switch("SS_BN_CUDNN");
  // Channels in multiples of 8, as ResNet50's all are: the 16-byte NHWC vectors cuDNN's
  // persistent kernels are built around.
  return on && half && training && (x_in.dim() == 2 || !x.is_contiguous()) && eps >= 1e-5 &&
         x_in.size(1) % 8 == 0 && (act == Act::ReLU || (act == Act::None && !residual));
}

// r: residual_in laid out like x (for cuDNN); the graph links to residual_in itself.
// Undefined when cuDNN refuses the shape (nothing written): the caller runs ours.
Tensor batch_norm_act_cudnn(const Tensor& x_in, const Tensor& x, const Tensor& residual_in,
                            const Tensor& r, const Tensor& gamma, const Tensor& beta,
                            Tensor rmean, Tensor rvar, Act act, double momentum, double eps) {
  // (unused in a build without CUDA, where SS_CUDA only fails)
  [[maybe_unused]] const int N = int(x_in.size(0)), C = int(x_in.size(1));
  [[maybe_unused]] const int H = x_in.dim() == 4 ? int(x_in.size(2)) : 1;
  [[maybe_unused]] const int W = x_in.dim() == 4 ? int(x_in.size(3)) : 1;
  const bool residual = r.defined();
  size_t reserve_bytes = 0;
  bool ok = false;
  SS_CUDA(ok = cuda::bn_cudnn_reserve_bytes(N, C, H, W, act, residual, &reserve_bytes));
  if (!ok) return Tensor();
  Tensor y = Tensor::empty_like(x);
  Tensor smean = Tensor::empty({C}, DType::F32, x.device());
  Tensor sinv = Tensor::empty({C}, DType::F32, x.device());
  Tensor reserve = Tensor::empty({int64_t(reserve_bytes)}, DType::U8, x.device());
  SS_CUDA(ok = cuda::bn_act_fwd_cudnn_f16(
              x.raw(), residual ? r.raw() : nullptr, N, C, H, W, gamma.data<float>(),
              beta.data<float>(), float(eps), float(momentum),
              rmean.defined() ? rmean.data<float>() : nullptr,
              rvar.defined() ? rvar.data<float>() : nullptr, act, y.raw(), smean.data<float>(),
              sinv.data<float>(), reserve.raw(), reserve_bytes));
  if (!ok) return Tensor();
  if (!any_requires_grad({x_in, gamma, beta, residual_in})) return y;
  const bool want_dres = residual && residual_in.requires_grad();
  Tensor xs = x.detach(), gs = gamma.detach(), bs = beta.detach();
  Tensor ys = act == Act::ReLU ? y.detach() : Tensor();
  record(y, "batch_norm_act", {x_in, gamma, beta, residual_in},
         [=](const Tensor& g_in) {
           Tensor g = g_in.to(xs.dtype()).contiguous_like(xs);
           Tensor dx = Tensor::empty_like(xs);
           Tensor dg = Tensor::empty({C}, DType::F32, xs.device());
           Tensor db = Tensor::empty({C}, DType::F32, xs.device());
           Tensor dr = residual ? Tensor::empty_like(xs) : Tensor();  // cuDNN writes it anyway
           SS_CUDA(cuda::bn_act_bwd_cudnn_f16(
               xs.raw(), ys.defined() ? ys.raw() : nullptr, g.raw(), N, C, H, W,
               gs.data<float>(), bs.data<float>(), smean.data<float>(), sinv.data<float>(),
               float(eps), act, residual, reserve.raw(), size_t(reserve.numel()), dx.raw(),
               dg.data<float>(), db.data<float>(), residual ? dr.raw() : nullptr));
           return std::vector<Tensor>{dx, dg, db, want_dres ? dr : Tensor()};
         });
  return y;
}

}  // namespace

Tensor batch_norm_act(const Tensor& x_in, const Tensor& gamma, const Tensor& beta, Tensor rmean,
                      Tensor rvar, bool training, Act act, double alpha,
                      const Tensor& residual_in, double momentum, double eps) {
  // Mixed precision: f16 activations with f32 parameters and statistics, f16 result. CUDA
  // runs it natively; the CPU computes in f32 and rounds (as batch_norm + add would).
  const bool half = is_half(x_in) && x_in.is_cuda();
  if (half && residual_in.defined() && !is_half(residual_in))
    return batch_norm_act(x_in, gamma, beta, rmean, rvar, training, act, alpha,
                          to_f16(residual_in), momentum, eps);
  if (is_half(x_in) && !half)
    return via_f32([&] {
      return batch_norm_act(to_f32(x_in), gamma, beta, rmean, rvar, training, act, alpha,
                            to_f32(residual_in), momentum, eps);
    });
  if (!half && is_half(residual_in))
    return batch_norm_act(x_in, gamma, beta, rmean, rvar, training, act, alpha,
                          to_f32(residual_in), momentum, eps);
  SS_CHECK(x_in.dim() == 2 || x_in.dim() == 4,
           "batch_norm_act: input must be [N,C] or [N,C,H,W], got ", x_in.desc());
  check_same("batch_norm_act", {&x_in, &residual_in});
  check_same("batch_norm_act", {&gamma, &beta, &rmean, &rvar});
  SS_CHECK(gamma.device() == x_in.device() && (half || gamma.dtype() == x_in.dtype()),
           "batch_norm_act: parameters ", gamma.desc(), " do not match input ", x_in.desc());
  const int C = int(x_in.size(1));
  int N = int(x_in.size(0)), HW = x_in.dim() == 4 ? int(x_in.size(2) * x_in.size(3)) : 1;
  SS_CHECK(gamma.numel() == C && beta.numel() == C, "batch_norm_act: weight/bias ", gamma.desc(),
           " for ", C, " channels");
  SS_CHECK(!residual_in.defined() || residual_in.shape() == x_in.shape(),
           "batch_norm_act: residual ", residual_in.desc(), " does not match input ", x_in.desc());
  SS_CHECK(act != Act::CELU || alpha > 0, "batch_norm_act: celu alpha must be positive, got ",
           alpha);
  SS_CHECK(training || (rmean.defined() && rvar.defined()),
           "batch_norm_act: eval mode needs running statistics");
  if (training)
    SS_CHECK(int64_t(N) * HW > 1,
             "batch_norm_act: training needs more than one value per channel, got ", x_in.desc());
  Tensor x = x_in.dense();
  if (!x.is_contiguous()) {  // NHWC is [N*H*W, C]: the same kernels with HW = 1
    N *= HW;
    HW = 1;
  }
  Tensor r = residual_in.defined() ? residual_in.contiguous_like(x) : Tensor();
  if (use_cudnn_bn(x_in, x, half, training, act, r.defined(), eps)) {
    Tensor y = batch_norm_act_cudnn(x_in, x, residual_in, r, gamma, beta, rmean, rvar, act,
                                    momentum, eps);
    if (y.defined()) return y;
  }
  Tensor y = Tensor::empty_like(x);
  const DType pt = gamma.dtype();
  Tensor smean = Tensor::empty({C}, pt, x.device());
  Tensor sinv = Tensor::empty({C}, pt, x.device());
  Tensor coef = Tensor::empty({2 * C}, pt, x.device());
  if (half) {
    SS_CUDA(cuda::bn_act_fwd_f16(
        x.raw(), r.defined() ? r.raw() : nullptr, N, C, HW, gamma.data<float>(),
        beta.data<float>(), training, float(eps), float(momentum),
        rmean.defined() ? rmean.data<float>() : nullptr,
        rvar.defined() ? rvar.data<float>() : nullptr, act, float(alpha), y.raw(),
        smean.data<float>(), sinv.data<float>(), coef.data<float>()));
  } else {
  backend(x, "batch_norm_act",
          [&](auto z) {
            using T = decltype(z);
            cpu::bn_act_fwd<T>(x.data<T>(), r.defined() ? r.data<T>() : nullptr, N, C, HW,
                               gamma.data<T>(), beta.data<T>(), training, T(eps), T(momentum),
                               rmean.defined() ? rmean.data<T>() : nullptr,
                               rvar.defined() ? rvar.data<T>() : nullptr, act, T(alpha),
                               y.data<T>(), smean.data<T>(), sinv.data<T>(), coef.data<T>());
          },
          [&] {
            SS_CUDA(cuda::bn_act_fwd(
                x.data<float>(), r.defined() ? r.data<float>() : nullptr, N, C, HW,
                gamma.data<float>(), beta.data<float>(), training, float(eps), float(momentum),
                rmean.defined() ? rmean.data<float>() : nullptr,
                rvar.defined() ? rvar.data<float>() : nullptr, act, float(alpha), y.data<float>(),
                smean.data<float>(), sinv.data<float>(), coef.data<float>()));
          });
  }
  if (!any_requires_grad({x_in, gamma, beta, residual_in})) return y;
  if (!training) {  // statistics are constants, as in batch_norm's eval backward
    NoGradGuard ng;
    smean = rmean.detach().clone();
    sinv = bn_eval_invstd(rvar, eps, pt);
  }
  Tensor xs = x.detach(), gs = gamma.detach();
  Tensor ys = act == Act::ReLU ? y.detach() : Tensor();
  Tensor rs = act == Act::CELU && r.defined() ? r.detach() : Tensor();
  const bool want_dres = residual_in.defined() && residual_in.requires_grad();
  const bool had_res = r.defined();
  record(y, "batch_norm_act", {x_in, gamma, beta, residual_in},
         [xs, gs, ys, rs, smean, sinv, coef, training, act, alpha, want_dres, had_res, half, N,
          C, HW](const Tensor& g_in) {
           Tensor g = g_in.to(xs.dtype()).contiguous_like(xs);
           Tensor dx = Tensor::empty_like(xs);
           Tensor dg = Tensor::empty({C}, gs.dtype(), xs.device());
           Tensor db = Tensor::empty({C}, gs.dtype(), xs.device());
           Tensor dr = want_dres ? Tensor::empty_like(xs) : Tensor();
           if (half) {
             SS_CUDA(cuda::bn_act_bwd_f16(
                 xs.raw(), g.raw(), rs.defined() ? rs.raw() : nullptr,
                 ys.defined() ? ys.raw() : nullptr, N, C, HW, gs.data<float>(),
                 smean.data<float>(), sinv.data<float>(), coef.data<float>(), training, act,
                 float(alpha), had_res, dx.raw(), dg.data<float>(), db.data<float>(),
                 dr.defined() ? dr.raw() : nullptr));
             return std::vector<Tensor>{dx, dg, db, dr};
           }
           backend(xs, "batch_norm_act backward",
                   [&](auto z) {
                     using T = decltype(z);
                     cpu::bn_act_bwd<T>(xs.data<T>(), g.data<T>(),
                                        rs.defined() ? rs.data<T>() : nullptr,
                                        ys.defined() ? ys.data<T>() : nullptr, N, C, HW,
                                        gs.data<T>(), smean.data<T>(), sinv.data<T>(),
                                        coef.data<T>(), training, act, T(alpha), dx.data<T>(),
                                        dg.data<T>(), db.data<T>(),
                                        dr.defined() ? dr.data<T>() : nullptr);
                   },
                   [&] {
                     SS_CUDA(cuda::bn_act_bwd(
                         xs.data<float>(), g.data<float>(),
                         rs.defined() ? rs.data<float>() : nullptr,
                         ys.defined() ? ys.data<float>() : nullptr, N, C, HW, gs.data<float>(),
                         smean.data<float>(), sinv.data<float>(), coef.data<float>(), training,
                         act, float(alpha), had_res, dx.data<float>(), dg.data<float>(),
                         db.data<float>(), dr.defined() ? dr.data<float>() : nullptr));
                   });
           return std::vector<Tensor>{dx, dg, db, dr};
         });
  return y;
}

}  // namespace ss
