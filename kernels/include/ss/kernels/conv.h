// 2-D convolution (cross-correlation, like PyTorch), NCHW, weight K×C×R×S, no bias
// (bias is a separate channel op). Transposed convolution is expressed with the same
// three kernels: convT forward = conv backward-data, convT backward-data = conv forward,
// convT weight grad = conv backward-filter with x and dy swapped.
#pragma once
#include <cstdint>

namespace ss {
struct ConvGeom {
  int N = 0, C = 0, H = 0, W = 0;  // input
  int K = 0, R = 0, S = 0;         // output channels, kernel height/width
  int stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1;
  // CUDA only: x, y and dy are NHWC in memory and w is KRSC (cuDNN's tensor-core layout).
  // The CPU kernels take NCHW/KCRS only.
  bool channels_last = false;
  int P() const { return (H + 2 * pad_h - dil_h * (R - 1) - 1) / stride_h + 1; }
  int Q() const { return (W + 2 * pad_w - dil_w * (S - 1) - 1) / stride_w + 1; }
  // Multiply-adds of one forward pass.
  double macs() const { return double(N) * K * P() * Q() * C * R * S; }
};
}  // namespace ss

namespace ss::cpu {
// y[N,K,P,Q] = conv(x[N,C,H,W], w[K,C,R,S]); overwrites y.
template <class T>
void conv2d_fwd(const ConvGeom& g, const T* x, const T* w, T* y);
// dx[N,C,H,W] = conv^T(dy, w); overwrites dx.
template <class T>
void conv2d_bwd_data(const ConvGeom& g, const T* dy, const T* w, T* dx);
// dw[K,C,R,S] = sum_n corr(x, dy); overwrites dw.
template <class T>
void conv2d_bwd_filter(const ConvGeom& g, const T* x, const T* dy, T* dw);
}  // namespace ss::cpu

namespace ss::cuda {
// accumulate: dx += conv^T(dy, w) (cuDNN's beta = 1: one rounding of the sum) instead of
// overwriting dx.
void conv2d_fwd(const ConvGeom& g, const float* x, const float* w, float* y);
void conv2d_bwd_data(const ConvGeom& g, const float* dy, const float* w, float* dx,
                     bool accumulate = false);
void conv2d_bwd_filter(const ConvGeom& g, const float* x, const float* dy, float* dw);
// binary16 storage (pointers to IEEE half data), f32 accumulation on tensor cores.
void conv2d_fwd_f16(const ConvGeom& g, const void* x, const void* w, void* y);
void conv2d_bwd_data_f16(const ConvGeom& g, const void* dy, const void* w, void* dx,
                         bool accumulate = false);
void conv2d_bwd_filter_f16(const ConvGeom& g, const void* x, const void* dy, void* dw);
}  // namespace ss::cuda
