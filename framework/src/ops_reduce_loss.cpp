// Reductions and losses. Loss kernels return (sum, count) so masked/ignored means are exact.
#include "op_util.h"
#include "ss/autograd.h"
#include "ss/kernels/loss.h"
#include "ss/kernels/reduce.h"
#include "ss/ops.h"

namespace ss {
namespace {

// A loss's mean from its kernel's (sum, count): sum / count, 0 when every target is ignored
// or masked. Computed where the statistics live, so on a GPU building the loss never waits
// for the device.
Tensor loss_mean(const Tensor& stats) {
  Tensor y = Tensor::empty({}, stats.dtype(), stats.device());
  backend(stats, "loss mean",
          [&](auto z) {
            using T = decltype(z);
            const T* s = stats.data<T>();
            y.data<T>()[0] = s[1] > T(0) ? T(double(s[0]) / double(s[1])) : T(0);
          },
          [&] { SS_CUDA(cuda::loss_mean(stats.data<float>(), y.data<float>())); });
  return y;
}

// The CPU backward's scale, upstream gradient / count (host memory: nothing waits).
double host_mean_grad(const Tensor& g, const Tensor& stats) {
  const double count = stats.to_vector<double>()[1];
  return count > 0 ? g.item() / count : 0.0;
}

// y[o,i] = sum_l x[o,l,i]
Tensor sum_axis_raw(const Tensor& x, int64_t outer, int64_t len, int64_t inner, Shape out) {
  Tensor y = Tensor::empty(out, x.dtype(), x.device());
  backend(x, "sum",
          [&](auto z) {
            using T = decltype(z);
            cpu::sum_axis<T>(x.data<T>(), outer, len, inner, y.data<T>());
          },
          [&] { SS_CUDA(cuda::sum_axis(x.data<float>(), outer, len, inner, y.data<float>())); });
  return y;
}

Tensor broadcast_raw(const Tensor& g, int64_t outer, int64_t len, int64_t inner, double s,
                     Shape out) {
  Tensor gc = g.contiguous();
  Tensor dx = Tensor::empty(out, g.dtype(), g.device());
  backend(gc, "sum backward",
          [&](auto z) {
            using T = decltype(z);
            cpu::broadcast_axis<T>(gc.data<T>(), outer, len, inner, T(s), dx.data<T>());
          },
          [&] {
            SS_CUDA(cuda::broadcast_axis(gc.data<float>(), outer, len, inner, float(s),
                                         dx.data<float>()));
          });
  return dx;
}

Tensor reduce_dim(const Tensor& x_in, int dim, bool keepdim, bool average) {
  if (is_half(x_in)) return reduce_dim(to_f32(x_in), dim, keepdim, average);
  if (dim < 0) dim += int(x_in.dim());
  SS_CHECK(dim >= 0 && dim < x_in.dim(), "sum/mean: dim out of range for ", x_in.desc());
  Tensor x = x_in.contiguous();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < dim; ++i) outer *= x.shape()[i];
  for (int i = dim + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  const int64_t len = x.shape()[dim];
  Shape out = x.shape();
  if (keepdim)
    out[dim] = 1;
  else
    out.erase(out.begin() + dim);
  Tensor y = sum_axis_raw(x, outer, len, inner, out);
  const double s = average ? 1.0 / double(len) : 1.0;
  if (average) y = scale(y, s);  // no graph yet: recorded below on the final value
  Shape xs = x.shape();
  record(y, average ? "mean(dim)" : "sum(dim)", {x_in}, [=](const Tensor& g) {
    return std::vector<Tensor>{broadcast_raw(g, outer, len, inner, s, xs)};
  });
  return y;
}

}  // namespace

Tensor sum(const Tensor& x, int dim, bool keepdim) { return reduce_dim(x, dim, keepdim, false); }
Tensor mean(const Tensor& x, int dim, bool keepdim) { return reduce_dim(x, dim, keepdim, true); }

Tensor sum(const Tensor& x_in) {
  if (is_half(x_in)) return sum(to_f32(x_in));
  Tensor x = x_in.contiguous();
  Tensor y = sum_axis_raw(x, 1, x.numel(), 1, {});
  Shape xs = x.shape();
  const int64_t n = x.numel();
  record(y, "sum", {x_in}, [xs, n](const Tensor& g) {
    return std::vector<Tensor>{broadcast_raw(g, 1, n, 1, 1.0, xs)};
  });
  return y;
}

Tensor mean(const Tensor& x_in) {
  if (is_half(x_in)) return mean(to_f32(x_in));
  SS_CHECK(x_in.numel() > 0, "mean of an empty tensor ", x_in.desc());
  Tensor x = x_in.contiguous();
  Tensor y;
  {
    NoGradGuard ng;
    y = scale(sum_axis_raw(x, 1, x.numel(), 1, {}), 1.0 / double(x.numel()));
  }
  Shape xs = x.shape();
  const int64_t n = x.numel();
  record(y, "mean", {x_in}, [xs, n](const Tensor& g) {
    return std::vector<Tensor>{broadcast_raw(g, 1, n, 1, 1.0 / double(n), xs)};
  });
  return y;
}

Tensor log_softmax(const Tensor& x_in, int dim) {
  if (is_half(x_in)) return log_softmax(to_f32(x_in), dim);
  if (dim < 0) dim += int(x_in.dim());
  SS_CHECK(dim >= 0 && dim < x_in.dim(), "log_softmax: dim out of range for ", x_in.desc());
  Tensor x = x_in.contiguous();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < dim; ++i) outer *= x.shape()[i];
  for (int i = dim + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  const int C = int(x.shape()[dim]);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend(x, "log_softmax",
          [&](auto z) {
            using T = decltype(z);
            cpu::log_softmax_fwd<T>(x.data<T>(), outer, C, inner, y.data<T>());
          },
          [&] { SS_CUDA(cuda::log_softmax_fwd(x.data<float>(), outer, C, inner, y.data<float>())); });
  Tensor ys = y.detach();
  record(y, "log_softmax", {x_in}, [ys, outer, C, inner](const Tensor& g_in) {
    Tensor g = g_in.contiguous();
    Tensor dx = Tensor::empty(ys.shape(), ys.dtype(), ys.device());
    backend(ys, "log_softmax backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::log_softmax_bwd<T>(ys.data<T>(), g.data<T>(), outer, C, inner, dx.data<T>());
            },
            [&] {
              SS_CUDA(cuda::log_softmax_bwd(ys.data<float>(), g.data<float>(), outer, C, inner,
                                            dx.data<float>()));
            });
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor cross_entropy(const Tensor& logits_in, const Tensor& target_in, int64_t ignore_index) {
  if (is_half(logits_in)) return cross_entropy(to_f32(logits_in), target_in, ignore_index);
  SS_CHECK(logits_in.dim() >= 2, "cross_entropy: logits must be [N,C,...], got ", logits_in.desc());
  SS_CHECK(target_in.dtype() == DType::I64, "cross_entropy: targets must be i64, got ",
           target_in.desc());
  Shape expect = logits_in.shape();
  expect.erase(expect.begin() + 1);
  SS_CHECK(target_in.shape() == expect, "cross_entropy: targets ", target_in.desc(),
           " do not match logits ", logits_in.desc());
  Tensor x = logits_in.contiguous();
  const int64_t outer = x.size(0);
  const int C = int(x.size(1));
  const int64_t inner = x.numel() / std::max<int64_t>(outer * C, 1);
  // Labels in host memory are checked here. Device labels are not: reading them would make
  // every step wait for the GPU; there a bad label makes the loss NaN (kernels/loss.h).
  if (!target_in.is_cuda()) {
    std::vector<int64_t> t = target_in.to_vector<int64_t>();
    for (int64_t v : t)
      SS_CHECK(v == ignore_index || (v >= 0 && v < C), "cross_entropy: target ", v,
               " outside [0, ", C, ")");
  }
  Tensor target = target_in.contiguous().to(x.device());
  Tensor logp = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor stats = Tensor::empty({2}, x.dtype(), x.device());
  backend(x, "cross_entropy",
          [&](auto z) {
            using T = decltype(z);
            cpu::xent_fwd<T>(x.data<T>(), target.data<int64_t>(), outer, C, inner, ignore_index,
                             logp.data<T>(), stats.data<T>());
          },
          [&] {
            SS_CUDA(cuda::xent_fwd(x.data<float>(), target.data<int64_t>(), outer, C, inner,
                                   ignore_index, logp.data<float>(), stats.data<float>()));
          });
  Tensor y = loss_mean(stats);
  Tensor lp = logp.detach();
  record(y, "cross_entropy", {logits_in}, [lp, target, outer, C, inner, ignore_index,
                                           stats](const Tensor& g_in) {
    const Tensor g = g_in.contiguous();
    Tensor dx = Tensor::empty(lp.shape(), lp.dtype(), lp.device());
    backend(lp, "cross_entropy backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::xent_bwd<T>(lp.data<T>(), target.data<int64_t>(), outer, C, inner,
                               ignore_index, T(host_mean_grad(g, stats)), dx.data<T>());
            },
            [&] {
              SS_CUDA(cuda::xent_bwd(lp.data<float>(), target.data<int64_t>(), outer, C, inner,
                                     ignore_index, g.data<float>(), stats.data<float>(),
                                     dx.data<float>()));
            });
    return std::vector<Tensor>{dx};
  });
  return y;
}

namespace {
enum class Reg { MSE, L1 };

Tensor regression_loss(Reg kind, const Tensor& pred_in, const Tensor& target_in,
                       const Tensor& mask_in) {
  if (is_half(pred_in) || is_half(target_in) || is_half(mask_in))
    return regression_loss(kind, to_f32(pred_in), to_f32(target_in), to_f32(mask_in));
  const char* name = kind == Reg::MSE ? "mse_loss" : "l1_loss";
  check_same(name, {&pred_in, &target_in, &mask_in});
  SS_CHECK(pred_in.shape() == target_in.shape(), name, ": prediction ", pred_in.desc(),
           " vs target ", target_in.desc());
  if (mask_in.defined())
    SS_CHECK(mask_in.shape() == pred_in.shape(), name, ": mask ", mask_in.desc(), " vs ",
             pred_in.desc());
  Tensor a = pred_in.contiguous(), b = target_in.contiguous();
  Tensor m = mask_in.defined() ? mask_in.contiguous() : Tensor();
  const int64_t n = a.numel();
  Tensor stats = Tensor::empty({2}, a.dtype(), a.device());
  backend(a, name,
          [&](auto z) {
            using T = decltype(z);
            const T* mp = m.defined() ? m.data<T>() : nullptr;
            if (kind == Reg::MSE)
              cpu::mse_fwd<T>(a.data<T>(), b.data<T>(), mp, n, stats.data<T>());
            else
              cpu::l1_fwd<T>(a.data<T>(), b.data<T>(), mp, n, stats.data<T>());
          },
          [&] {
            SS_CUDA(const float* mp = m.defined() ? m.data<float>() : nullptr;
                    if (kind == Reg::MSE) cuda::mse_fwd(a.data<float>(), b.data<float>(), mp, n,
                                                        stats.data<float>());
                    else cuda::l1_fwd(a.data<float>(), b.data<float>(), mp, n, stats.data<float>()));
          });
  Tensor y = loss_mean(stats);
  Tensor as = a.detach(), bs = b.detach(), ms = m.defined() ? m.detach() : Tensor();
  record(y, name, {pred_in, target_in}, [kind, as, bs, ms, n, stats](const Tensor& g_in) {
    const Tensor g = g_in.contiguous();
    Tensor da = Tensor::empty(as.shape(), as.dtype(), as.device());
    backend(as, "regression loss backward",
            [&](auto z) {
              using T = decltype(z);
              const T* mp = ms.defined() ? ms.data<T>() : nullptr;
              const T gs = T(host_mean_grad(g, stats));
              if (kind == Reg::MSE)
                cpu::mse_bwd<T>(as.data<T>(), bs.data<T>(), mp, n, gs, da.data<T>());
              else
                cpu::l1_bwd<T>(as.data<T>(), bs.data<T>(), mp, n, gs, da.data<T>());
            },
            [&] {
              SS_CUDA(const float* mp = ms.defined() ? ms.data<float>() : nullptr;
                      const float* gp = g.data<float>(); const float* sp = stats.data<float>();
                      if (kind == Reg::MSE) cuda::mse_bwd(as.data<float>(), bs.data<float>(), mp,
                                                          n, gp, sp, da.data<float>());
                      else cuda::l1_bwd(as.data<float>(), bs.data<float>(), mp, n, gp, sp,
                                        da.data<float>()));
            });
    // d/dtarget = -d/dpred
    return std::vector<Tensor>{da, scale(da, -1.0)};
  });
  return y;
}
}  // namespace

Tensor top1_accuracy(const Tensor& scores_in, const Tensor& labels_in) {
  if (is_half(scores_in)) return top1_accuracy(to_f32(scores_in), labels_in);
  SS_CHECK(scores_in.dim() == 2, "top1_accuracy: scores must be [N, C], got ", scores_in.desc());
  SS_CHECK(labels_in.dtype() == DType::I64 && labels_in.dim() == 1 &&
               labels_in.size(0) == scores_in.size(0),
           "top1_accuracy: labels ", labels_in.desc(), " for scores ", scores_in.desc());
  NoGradGuard ng;
  Tensor s = scores_in.detach().contiguous();
  Tensor labels = labels_in.contiguous().to(s.device());
  const int64_t rows = s.size(0);
  const int C = int(s.size(1));
  SS_CHECK(C > 0, "top1_accuracy: no columns in ", s.desc());
  Tensor stats = Tensor::empty({2}, s.dtype(), s.device());
  backend(s, "top1_accuracy",
          [&](auto z) {
            using T = decltype(z);
            cpu::top1_hits<T>(s.data<T>(), labels.data<int64_t>(), rows, C, stats.data<T>());
          },
          [&] {
            SS_CUDA(cuda::top1_hits(s.data<float>(), labels.data<int64_t>(), rows, C,
                                    stats.data<float>()));
          });
  return loss_mean(stats);
}

Tensor mse_loss(const Tensor& p, const Tensor& t, const Tensor& m) {
  return regression_loss(Reg::MSE, p, t, m);
}
Tensor l1_loss(const Tensor& p, const Tensor& t, const Tensor& m) {
  return regression_loss(Reg::L1, p, t, m);
}

}  // namespace ss
