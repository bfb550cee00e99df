// Softmax-family and regression losses. Class scores are laid out [outer, C, inner]
// (inner = 1 for N×C logits, H*W for per-pixel NCHW logits).
#pragma once
#include <cstdint>

namespace ss::cpu {
template <class T>
void log_softmax_fwd(const T* x, int64_t outer, int C, int64_t inner, T* y);
// dx = dy - exp(y) * sum_c dy (y is the log-softmax output).
template <class T>
void log_softmax_bwd(const T* y, const T* dy, int64_t outer, int C, int64_t inner, T* dx);
// Cross-entropy over rows: writes log-probabilities to logp, out[0] = sum of losses over
// non-ignored rows, out[1] = number of non-ignored rows. Targets outside [0,C) other than
// ignore_index are an error (the framework validates before calling).
template <class T>
void xent_fwd(const T* logits, const int64_t* target, int64_t outer, int C, int64_t inner,
              int64_t ignore_index, T* logp, T* out);
// dlogits = g * (softmax - onehot) on non-ignored rows, 0 on ignored rows.
template <class T>
void xent_bwd(const T* logp, const int64_t* target, int64_t outer, int C, int64_t inner,
              int64_t ignore_index, T g, T* dlogits);
// Sum of (a-b)^2 (mse) or |a-b| (l1) over elements where mask != 0 (mask may be null):
// out[0] = sum, out[1] = count.
template <class T> void mse_fwd(const T* a, const T* b, const T* mask, int64_t n, T* out);
template <class T> void mse_bwd(const T* a, const T* b, const T* mask, int64_t n, T g, T* da);
template <class T> void l1_fwd(const T* a, const T* b, const T* mask, int64_t n, T* out);
template <class T> void l1_bwd(const T* a, const T* b, const T* mask, int64_t n, T g, T* da);
// Top-1 hits of scores [rows, C] against labels [rows]: stats[0] = number of rows whose
// first largest score (ties go to the lower column) is at the label, stats[1] = rows.
template <class T>
void top1_hits(const T* scores, const int64_t* labels, int64_t rows, int C, T* stats);
// Row-wise L2 normalisation of rows×D: y = x / max(|x|, eps); norm saved per row.
template <class T> void l2norm_fwd(const T* x, int64_t rows, int D, T eps, T* y, T* norm);
template <class T>
void l2norm_bwd(const T* y, const T* norm, const T* dy, int64_t rows, int D, T eps, T* dx);
}  // namespace ss::cpu

namespace ss::cuda {
void log_softmax_fwd(const float* x, int64_t outer, int C, int64_t inner, float* y);
void log_softmax_bwd(const float* y, const float* dy, int64_t outer, int C, int64_t inner,
                     float* dx);
// The loss scalar and the backward scale stay in device memory, so a training step never
// waits for the device (and can be captured in a CUDA graph): loss_mean writes
// y = stats[0] / stats[1] (0 when stats[1] == 0) from a forward's (sum, count), and the
// backward kernels scale by g / stats[1] with g the upstream gradient, both read by pointer.
// A target outside [0,C) other than ignore_index makes the loss NaN (no host check here).
void xent_fwd(const float* logits, const int64_t* target, int64_t outer, int C, int64_t inner,
              int64_t ignore_index, float* logp, float* stats);
void loss_mean(const float* stats, float* y);
void xent_bwd(const float* logp, const int64_t* target, int64_t outer, int C, int64_t inner,
              int64_t ignore_index, const float* g, const float* stats, float* dlogits);
void mse_fwd(const float* a, const float* b, const float* mask, int64_t n, float* stats);
void mse_bwd(const float* a, const float* b, const float* mask, int64_t n, const float* g,
             const float* stats, float* da);
void l1_fwd(const float* a, const float* b, const float* mask, int64_t n, float* stats);
void l1_bwd(const float* a, const float* b, const float* mask, int64_t n, const float* g,
            const float* stats, float* da);
void top1_hits(const float* scores, const int64_t* labels, int64_t rows, int C, float* stats);
void l2norm_fwd(const float* x, int64_t rows, int D, float eps, float* y, float* norm);
void l2norm_bwd(const float* y, const float* norm, const float* dy, int64_t rows, int D,
                float eps, float* dx);
}  // namespace ss::cuda
