// Differentiable operations. Each op: checks shapes/dtypes/devices (clear error naming
// the op and shapes), runs the CPU or CUDA kernel, and records its backward rule.
// Float ops run in F32 (CPU and CUDA) or F64 (CPU, for gradient checks).
#pragma once
#include <cstdint>
#include <vector>

#include "ss/kernels/bn_act.h"  // enum class Act
#include "ss/tensor.h"

namespace ss {

// ---- convolution / linear algebra ----
struct Conv2dArgs {
  int stride = 1, padding = 0, dilation = 1;
};
// x[N,C,H,W], w[K,C,R,S] -> [N,K,P,Q]; bias (optional) [K].
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias = {}, Conv2dArgs a = {});
struct ConvT2dArgs {
  int stride = 1, padding = 0, output_padding = 0, dilation = 1;
};
// x[N,Cin,H,W], w[Cin,Cout,R,S] (PyTorch layout) -> [N,Cout,Ho,Wo].
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias = {},
                        ConvT2dArgs a = {});
// a[..., M, K] x b[K, N] or batched a[B,M,K] x b[B,K,N].
Tensor matmul(const Tensor& a, const Tensor& b);
// x[M,K] times w[O,K]^T + b[O] (per-pixel use: models::apply_linear as a 1x1 conv).
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b = {});

// ---- normalisation ----
// x[N,C,H,W] (or [N,C]); running stats updated in training mode (no gradient to them).
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, bool training, double momentum = 0.1, double eps = 1e-5);
// Fused y = act(batch_norm(x) + residual), residual optional (same shape as x); Act (None,
// ReLU, CELU) is declared in ss/kernels/bn_act.h. Same statistics and running-stat
// semantics as batch_norm; alpha is CELU's. Backward keeps no BN output (one activation-sized
// tensor less): CELU recomputes the pre-activation from x and the saved statistics, ReLU
// reads its mask off y.
Tensor batch_norm_act(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                      Tensor running_mean, Tensor running_var, bool training, Act act,
                      double alpha = 1.0, const Tensor& residual = {}, double momentum = 0.1,
                      double eps = 1e-5);
// Row-wise L2 normalisation along dim 1 of a 2-D tensor.
Tensor l2_normalize(const Tensor& x, double eps = 1e-12);

// ---- activations ----
Tensor relu(const Tensor& x);
Tensor celu(const Tensor& x, double alpha = 1.0);
Tensor tanh(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor softclip(const Tensor& x, double c);  // c * tanh(x / c)

// ---- pooling ----
Tensor max_pool2d(const Tensor& x);       // 2×2, stride 2
Tensor global_avg_pool(const Tensor& x);  // [N,C,H,W] -> [N,C]

// ---- elementwise (same shape; `add` also broadcasts a [C] bias over [N,C,...]) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& x, double s);
Tensor add_scalar(const Tensor& x, double s);
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator*(const Tensor& a, double s) { return scale(a, s); }
inline Tensor operator*(double s, const Tensor& a) { return scale(a, s); }

// ---- shape ----
Tensor reshape(const Tensor& x, Shape shape);  // one -1 allowed
Tensor flatten(const Tensor& x, int start_dim = 1);
Tensor permute(const Tensor& x, const std::vector<int>& dims);  // returns contiguous copy
Tensor transpose(const Tensor& x, int d0, int d1);
Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end);  // [start, end)
Tensor concat(const std::vector<Tensor>& xs, int dim);
Tensor rot90(const Tensor& x, int k);  // planes of [N,C,H,W], counter-clockwise
Tensor detach(const Tensor& x);
// rows of x[N, D] picked by idx (I64, any shape) -> [idx..., D]
Tensor index_select(const Tensor& x, const Tensor& idx);
// In place, not differentiable: rows dst[idx[i], :] = src[i, :] of a contiguous dst[N, D];
// for repeated indices the last row wins (as sequential assignment would).
void index_copy_(Tensor& dst, const Tensor& idx, const Tensor& src);

// ---- reductions ----
Tensor sum(const Tensor& x);                        // scalar
Tensor mean(const Tensor& x);                       // scalar
Tensor sum(const Tensor& x, int dim, bool keepdim = false);
Tensor mean(const Tensor& x, int dim, bool keepdim = false);

// ---- losses (scalar results) ----
Tensor log_softmax(const Tensor& x, int dim = 1);
// logits [N,C] or [N,C,H,W]; target I64 [N] or [N,H,W]; mean over non-ignored entries.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index = -100);
// Mean over elements where mask != 0 (mask optional, same shape, not differentiated).
Tensor mse_loss(const Tensor& pred, const Tensor& target, const Tensor& mask = {});
Tensor l1_loss(const Tensor& pred, const Tensor& target, const Tensor& mask = {});

// ---- metrics (not differentiable; computed where the scores are, no host read) ----
// Fraction of rows of scores [N,C] whose top-1 column (the first, on ties) is the label
// (I64 [N]); a 0-d tensor (f32 for f16 scores), 0 for N = 0.
Tensor top1_accuracy(const Tensor& scores, const Tensor& labels);

}  // namespace ss
