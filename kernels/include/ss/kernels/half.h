// Native binary16 kernels for the mixed-precision training step on the GPU (ss/amp.h):
// activations and gradients are f16 in memory, arithmetic is f32, and every result is
// rounded once on store — exactly what the CPU's f16 path (compute the f32 op on exact
// upcasts, round the result) does, so CPU and GPU agree up to summation order. Pointers
// are to IEEE binary16 data; channel parameters of these ops are f16 too.
#pragma once
#include <cstdint>

namespace ss::cuda {
void relu_fwd_f16(const void* x, void* y, int64_t n);
void relu_bwd_f16(const void* x, const void* dy, void* dx, int64_t n);
void celu_fwd_f16(const void* x, void* y, int64_t n, float alpha);
void celu_bwd_f16(const void* x, const void* dy, void* dx, int64_t n, float alpha);
void add_f16(const void* a, const void* b, void* y, int64_t n);
// Channels-last rows to a different channel count: dst[r, c] = src[r, c] for c < c_src,
// zeros beyond (pads with zero channels, or crops when c_dst < c_src).
void copy_channels_f16(const void* src, int c_src, void* dst, int c_dst, int64_t rows);
void scale_f16(const void* x, float s, void* y, int64_t n);
// y[N, C, inner] += bias[C]; db[C] = sum over N and inner of dy (double accumulation).
void bias_add_f16(void* y, const void* bias, int64_t N, int C, int64_t inner);
void bias_grad_f16(const void* dy, int64_t N, int C, int64_t inner, void* db);
void maxpool2_fwd_f16(const void* x, int64_t NC, int H, int W, void* y);
void maxpool2_bwd_f16(const void* x, const void* dy, int64_t NC, int H, int W, void* dx);
void avgpool_global_fwd_f16(const void* x, int64_t NC, int HW, void* y);
void avgpool_global_bwd_f16(const void* dy, int64_t NC, int HW, void* dx);
}  // namespace ss::cuda
