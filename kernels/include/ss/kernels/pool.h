// Pooling over NCHW planes; NC = N*C planes of H×W.
#pragma once
#include <cstdint>

namespace ss::cpu {
// 2×2 window, stride 2, floor semantics (odd trailing row/col dropped, as PyTorch).
// Ties pick the first maximum in row-major window order (as PyTorch).
template <class T> void maxpool2_fwd(const T* x, int64_t NC, int H, int W, T* y);
template <class T> void maxpool2_bwd(const T* x, const T* dy, int64_t NC, int H, int W, T* dx);
template <class T> void avgpool_global_fwd(const T* x, int64_t NC, int HW, T* y);
template <class T> void avgpool_global_bwd(const T* dy, int64_t NC, int HW, T* dx);
// The same 2×2 max pool on NHWC memory (channels-last activations), same tie rule.
// idx (optional, [N, H/2, W/2, C] bytes): each output's window position (0..3, row-major),
// so the backward needs only idx and dy (_bwd_idx) instead of x: the input (a
// convolution's output, often the largest activation) need not be kept.
template <class T>
void maxpool2_nhwc_fwd(const T* x, int N, int H, int W, int C, T* y, uint8_t* idx = nullptr);
template <class T>
void maxpool2_nhwc_bwd(const T* x, const T* dy, int N, int H, int W, int C, T* dx);
template <class T>
void maxpool2_nhwc_bwd_idx(const uint8_t* idx, const T* dy, int N, int H, int W, int C, T* dx);
}  // namespace ss::cpu

namespace ss::cuda {
void maxpool2_fwd(const float* x, int64_t NC, int H, int W, float* y);
void maxpool2_bwd(const float* x, const float* dy, int64_t NC, int H, int W, float* dx);
void avgpool_global_fwd(const float* x, int64_t NC, int HW, float* y);
void avgpool_global_bwd(const float* dy, int64_t NC, int HW, float* dx);
void maxpool2_nhwc_fwd(const float* x, int N, int H, int W, int C, float* y,
                       uint8_t* idx = nullptr);
void maxpool2_nhwc_bwd(const float* x, const float* dy, int N, int H, int W, int C, float* dx);
void maxpool2_nhwc_bwd_idx(const uint8_t* idx, const float* dy, int N, int H, int W, int C,
                           float* dx);
// binary16 data (pointers to IEEE half), f32 comparisons: exact like the f32 kernels.
void maxpool2_nhwc_fwd_f16(const void* x, int N, int H, int W, int C, void* y,
                           uint8_t* idx = nullptr);
void maxpool2_nhwc_bwd_f16(const void* x, const void* dy, int N, int H, int W, int C, void* dx);
void maxpool2_nhwc_bwd_idx_f16(const uint8_t* idx, const void* dy, int N, int H, int W, int C,
                               void* dx);
}  // namespace ss::cuda
