// conv2d and conv_transpose2d. The transposed convolution reuses the convolution's
// three kernels with the roles of forward and backward-data swapped.
#include <cstdint>

#include "op_util.h"
#include "ss/autograd.h"
#include "ss/kernels/conv.h"
#include "ss/kernels/half.h"
#include "ss/kernels/switches.h"
#include "ss/ops.h"

namespace ss {
namespace {

// f16 tensors reach these only on CUDA: the CPU computes f16 ops in f32 (via_f32).
void conv_fwd(const ConvGeom& g, const Tensor& x, const Tensor& w, Tensor& y) {
  if (is_half(x)) return SS_CUDA(cuda::conv2d_fwd_f16(g, x.raw(), w.raw(), y.raw()));
  backend(x, "conv2d",
          [&](auto z) {
            using T = decltype(z);
            cpu::conv2d_fwd<T>(g, x.data<T>(), w.data<T>(), y.data<T>());
          },
          [&] { SS_CUDA(cuda::conv2d_fwd(g, x.data<float>(), w.data<float>(), y.data<float>())); });
}
// accumulate (CUDA only): dx += the result.
void conv_bwd_data(const ConvGeom& g, const Tensor& dy, const Tensor& w, Tensor& dx,
                   bool accumulate = false) {
  SS_CHECK(!accumulate || dy.is_cuda(), "conv2d backward-data: accumulate is CUDA-only");
  if (is_half(dy))
    return SS_CUDA(cuda::conv2d_bwd_data_f16(g, dy.raw(), w.raw(), dx.raw(), accumulate));
  backend(dy, "conv2d backward-data",
          [&](auto z) {
            using T = decltype(z);
            cpu::conv2d_bwd_data<T>(g, dy.data<T>(), w.data<T>(), dx.data<T>());
          },
          [&] {
            SS_CUDA(cuda::conv2d_bwd_data(g, dy.data<float>(), w.data<float>(), dx.data<float>(),
                                          accumulate));
          });
}

// The input's gradient summed so far by other consumers (autograd's grad_accumulator),
// when this rule may add into it: ResNet blocks' first convolution, whose input's gradient
// already holds the shortcut's. On CUDA backward-data then accumulates as it writes
// (cuDNN's beta = 1) and the separate add pass is gone (ResNet50 @128 b96 on an H100: 17
// adds, 1.3 ms of a 36 ms step); opt-in there (SS_CONV_DGRAD_ACC=1) until it has run on a
// GPU. On the host the result is added in place (one allocation fewer, the same sum).
Tensor dgrad_accumulator(const Tensor& xs, bool native, bool padded) {
  Tensor acc = grad_accumulator(0);
  if (!acc.defined() || padded || acc.dtype() != xs.dtype() || acc.shape() != xs.shape() ||
      acc.device() != xs.device())
    return {};
  if (!xs.is_cuda()) return acc;  // any dense layout: accumulate_into converts
  if (!perf_switch("SS_CONV_DGRAD_ACC")) return {};
  // cuDNN writes dx in the layout of the convolution's descriptors, and chose its algorithm
  // for aligned buffers (a dense view at an offset, say a slice of cat's gradient, may not be)
  const bool aligned = reinterpret_cast<uintptr_t>(acc.raw()) % 16 == 0;
  return aligned && (native ? acc.is_channels_last() : acc.is_contiguous()) ? acc : Tensor();
}
void conv_bwd_filter(const ConvGeom& g, const Tensor& x, const Tensor& dy, Tensor& dw) {
  if (is_half(x)) return SS_CUDA(cuda::conv2d_bwd_filter_f16(g, x.raw(), dy.raw(), dw.raw()));
  backend(x, "conv2d backward-filter",
          [&](auto z) {
            using T = decltype(z);
            cpu::conv2d_bwd_filter<T>(g, x.data<T>(), dy.data<T>(), dw.data<T>());
          },
          [&] {
            SS_CUDA(
                cuda::conv2d_bwd_filter(g, x.data<float>(), dy.data<float>(), dw.data<float>()));
          });
}

// cuDNN's legacy API runs NHWC f16 convolutions whose input channels are not a multiple of
// 8 (the RGB first layer) in non-tensor-core engines: ResNet9's filter gradient took
// 2.85 ms of a 17 ms step on an H100 where PyTorch, whose cuDNN frontend pads such inputs
// to 8 channels, spent 0.18 ms; ResNet50's 7x7 stem ran a 0.38 ms forward and a 0.31 ms
// filter gradient in FMA engines. Same here: the input and the filter get zero channels up
// to a multiple of 8 (the padded input is what backward keeps), and the gradients' extra
// channels are dropped. Opt-in (SS_CONV_PAD_C=1) until it has run on a GPU.
bool pad_channels_applies(const ConvGeom& g, const Tensor& x) {
  static const bool on = perf_switch("SS_CONV_PAD_C");
  return on && g.channels_last && is_half(x) && g.C % 8 != 0;
}
// NHWC [n, c, h, w] -> [n, c_to, h, w]: zero channels appended, or the first c_to kept.
Tensor copy_channels(const Tensor& t, int c_to) {
  Tensor r = empty_channels_last({t.size(0), c_to, t.size(2), t.size(3)}, t.dtype(), t.device());
  SS_CUDA(cuda::copy_channels_f16(t.raw(), int(t.size(1)), r.raw(), c_to,
                                  t.size(0) * t.size(2) * t.size(3)));
  return r;
}

Tensor conv2d_impl(const Tensor& x_in, const Tensor& w_in, const Tensor& bias, Conv2dArgs a) {
  check_dim("conv2d", x_in, 4, "input");
  check_dim("conv2d", w_in, 4, "weight");
  check_same("conv2d", {&x_in, &w_in, &bias});
  SS_CHECK(x_in.size(1) == w_in.size(1), "conv2d: input ", x_in.desc(), " has ", x_in.size(1),
           " channels but weight ", w_in.desc(), " expects ", w_in.size(1));
  ConvGeom g;
  g.N = int(x_in.size(0)), g.C = int(x_in.size(1)), g.H = int(x_in.size(2)),
  g.W = int(x_in.size(3));
  g.K = int(w_in.size(0)), g.R = int(w_in.size(2)), g.S = int(w_in.size(3));
  g.stride_h = g.stride_w = a.stride;
  g.pad_h = g.pad_w = a.padding;
  g.dil_h = g.dil_w = a.dilation;
  SS_CHECK(a.stride >= 1 && a.dilation >= 1 && a.padding >= 0, "conv2d: bad stride/pad/dilation");
  SS_CHECK(g.P() > 0 && g.Q() > 0, "conv2d: input ", x_in.desc(), " too small for kernel ",
           w_in.desc());
  // NHWC input: cuDNN runs it natively (weights as KRSC); the CPU converts to NCHW and
  // back, so the layout flows through either way.
  const bool nhwc = strictly_channels_last(x_in), native = nhwc && x_in.is_cuda();
  g.channels_last = native;
  Tensor x = native ? x_in : x_in.contiguous();
  Tensor w = native ? w_in.channels_last() : w_in.contiguous();
  const int c_in = g.C;
  if (native && pad_channels_applies(g, x)) {
    g.C = (g.C + 7) / 8 * 8;
    x = copy_channels(x, g.C);
    w = copy_channels(w, g.C);
  }
  const Shape ys{g.N, g.K, g.P(), g.Q()};
  Tensor y = native ? empty_channels_last(ys, x.dtype(), x.device())
                    : Tensor::empty(ys, x.dtype(), x.device());
  conv_fwd(g, x, w, y);
  if (nhwc && !native) y = y.channels_last();
  Tensor xs = x.detach(), ws = w.detach();
  // Only the gradients someone needs: the network's input (an image) needs none, and
  // frozen layers' weights need none; each skipped pass is a whole convolution.
  const bool need_dx = x_in.requires_grad(), need_dw = w_in.requires_grad();
  record(y, "conv2d", {x_in, w_in},
         [g, c_in, xs, ws, nhwc, native, need_dx, need_dw](const Tensor& gy) {
    Tensor dy = native ? gy.channels_last() : gy.contiguous();
    Tensor dx, dw;
    if (need_dx) {
      Tensor acc = dgrad_accumulator(xs, native, g.C != c_in);
      if (acc.defined() && acc.is_cuda()) {
        conv_bwd_data(g, dy, ws, acc, true);
        dx = acc;
      } else {
        dx = native ? empty_channels_last(xs.shape(), xs.dtype(), xs.device())
                    : Tensor::empty(xs.shape(), xs.dtype(), xs.device());
        conv_bwd_data(g, dy, ws, dx);
        if (nhwc && !native) dx = dx.channels_last();
        if (g.C != c_in) dx = copy_channels(dx, c_in);
        if (acc.defined()) {
          accumulate_into(acc, dx);
          dx = acc;
        }
      }
    }
    if (need_dw) {
      dw = native ? empty_channels_last(ws.shape(), ws.dtype(), ws.device())
                  : Tensor::empty(ws.shape(), ws.dtype(), ws.device());
      conv_bwd_filter(g, xs, dy, dw);
      if (g.C != c_in) dw = copy_channels(dw, c_in);
      if (native) dw = dw.contiguous();  // the parameter is KCRS
    }
    return std::vector<Tensor>{dx, dw};
  });
  return bias.defined() ? add(y, bias) : y;
}

Tensor conv_transpose2d_impl(const Tensor& x_in, const Tensor& w_in, const Tensor& bias,
                             ConvT2dArgs a) {
  check_dim("conv_transpose2d", x_in, 4, "input");
  check_dim("conv_transpose2d", w_in, 4, "weight");
  check_same("conv_transpose2d", {&x_in, &w_in, &bias});
  SS_CHECK(x_in.size(1) == w_in.size(0), "conv_transpose2d: input ", x_in.desc(), " has ",
           x_in.size(1), " channels but weight ", w_in.desc(), " expects ", w_in.size(0));
  const int H = int(x_in.size(2)), W = int(x_in.size(3));
  const int R = int(w_in.size(2)), S = int(w_in.size(3));
  const int Ho = (H - 1) * a.stride - 2 * a.padding + a.dilation * (R - 1) + 1 + a.output_padding;
  const int Wo = (W - 1) * a.stride - 2 * a.padding + a.dilation * (S - 1) + 1 + a.output_padding;
  SS_CHECK(Ho > 0 && Wo > 0, "conv_transpose2d: empty output for ", x_in.desc());
  SS_CHECK(a.output_padding < a.stride || a.output_padding < a.dilation,
           "conv_transpose2d: output_padding must be smaller than stride or dilation");
  // The equivalent forward convolution maps [N, Cout, Ho, Wo] -> [N, Cin, H, W].
  ConvGeom g;
  g.N = int(x_in.size(0)), g.C = int(w_in.size(1)), g.H = Ho, g.W = Wo;
  g.K = int(w_in.size(0)), g.R = R, g.S = S;
  g.stride_h = g.stride_w = a.stride;
  g.pad_h = g.pad_w = a.padding;
  g.dil_h = g.dil_w = a.dilation;
  SS_CHECK(g.P() == H && g.Q() == W, "conv_transpose2d: inconsistent geometry");
  Tensor x = x_in.contiguous(), w = w_in.contiguous();
  Tensor y = Tensor::empty({g.N, g.C, Ho, Wo}, x.dtype(), x.device());
  conv_bwd_data(g, x, w, y);
  Tensor xs = x.detach(), ws = w.detach();
  const bool need_dx = x_in.requires_grad(), need_dw = w_in.requires_grad();
  record(y, "conv_transpose2d", {x_in, w_in}, [g, xs, ws, need_dx, need_dw](const Tensor& gy) {
    Tensor dy = gy.contiguous();
    Tensor dx, dw;
    if (need_dx) {
      dx = Tensor::empty(xs.shape(), xs.dtype(), xs.device());
      conv_fwd(g, dy, ws, dx);
    }
    if (need_dw) {
      dw = Tensor::empty(ws.shape(), ws.dtype(), ws.device());
      conv_bwd_filter(g, dy, xs, dw);
    }
    return std::vector<Tensor>{dx, dw};
  });
  return bias.defined() ? add(y, bias) : y;
}

}  // namespace

// Under autocast (or with f16 inputs) all operands are cast to f16: the f32 weight's
// gradient comes back through the cast as f32 (master weights).
Tensor conv2d(const Tensor& x_in, const Tensor& w, const Tensor& bias, Conv2dArgs a) {
  const Tensor x = ChannelsLast::enabled() && x_in.dim() == 4 ? to_channels_last(x_in) : x_in;
  if (!autocast_half({&x, &w, &bias})) return conv2d_impl(x, w, bias, a);
  Tensor xh = to_f16(x), wh = to_f16(w), bh = to_f16(bias);
  if (!xh.is_cuda())
    return via_f32([&] { return conv2d_impl(to_f32(xh), to_f32(wh), to_f32(bh), a); });
  return conv2d_impl(xh, wh, bh, a);
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, ConvT2dArgs a) {
  if (!autocast_half({&x, &w, &bias})) return conv_transpose2d_impl(x, w, bias, a);
  Tensor xh = to_f16(x), wh = to_f16(w), bh = to_f16(bias);
  if (!xh.is_cuda())
    return via_f32([&] { return conv_transpose2d_impl(to_f32(xh), to_f32(wh), to_f32(bh), a); });
  return conv_transpose2d_impl(xh, wh, bh, a);
}

}  // namespace ss
