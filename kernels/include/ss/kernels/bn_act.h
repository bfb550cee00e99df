// Fused batch norm + activation (+ residual add), NCHW:
//   a = BN(x) + residual (optional, same shape), y = act(a).
// BN statistics and running-stat updates are exactly bn.h's (same shared code). The
// forward also writes BN's affine map to coef ([C] scale, then [C] shift, the values the
// output was computed with), so the backward can recompute a bit for bit from x instead of
// keeping BN's output alive.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ss {
// CELU(a) = max(0,a) + min(0, alpha*(exp(a/alpha)-1)); None = identity.
enum class Act { None, ReLU, CELU };
}  // namespace ss

namespace ss::cpu {
// training: batch statistics (save_mean/save_invstd written, running stats updated when
// running_mean is given); eval: running statistics, save_* untouched (may be null).
template <class T>
void bn_act_fwd(const T* x, const T* residual, int N, int C, int HW, const T* gamma,
                const T* beta, bool training, T eps, T momentum, T* running_mean, T* running_var,
                Act act, T alpha, T* y, T* save_mean, T* save_invstd, T* coef);
// da = dy * act'(a): ReLU takes its mask from the output y (a > 0 iff y > 0), CELU
// recomputes a from x, coef and residual; then bn_bwd(x, da) (same save_* convention), and
// dresidual = da when given. Overwrites dx (required), dgamma, dbeta, dresidual.
template <class T>
void bn_act_bwd(const T* x, const T* dy, const T* residual, const T* y, int N, int C, int HW,
                const T* gamma, const T* save_mean, const T* save_invstd, const T* coef,
                bool training, Act act, T alpha, T* dx, T* dgamma, T* dbeta, T* dresidual);
}  // namespace ss::cpu

namespace ss::cuda {
void bn_act_fwd(const float* x, const float* residual, int N, int C, int HW, const float* gamma,
                const float* beta, bool training, float eps, float momentum, float* running_mean,
                float* running_var, Act act, float alpha, float* y, float* save_mean,
                float* save_invstd, float* coef);
// dx may be null (only dgamma/dbeta/dresidual wanted). had_residual: the forward added one
// (residual itself is needed, and may be null otherwise, for CELU only).
void bn_act_bwd(const float* x, const float* dy, const float* residual, const float* y, int N,
                int C, int HW, const float* gamma, const float* save_mean,
                const float* save_invstd, const float* coef, bool training, Act act, float alpha,
                bool had_residual, float* dx, float* dgamma, float* dbeta, float* dresidual);
// Mixed precision: x, residual, y, dy, dx, dresidual are binary16 (IEEE half data);
// parameters, statistics and coef stay f32, arithmetic is f32 as above.
void bn_act_fwd_f16(const void* x, const void* residual, int N, int C, int HW, const float* gamma,
                    const float* beta, bool training, float eps, float momentum,
                    float* running_mean, float* running_var, Act act, float alpha, void* y,
                    float* save_mean, float* save_invstd, float* coef);
void bn_act_bwd_f16(const void* x, const void* dy, const void* residual, const void* y, int N,
                    int C, int HW, const float* gamma, const float* save_mean,
                    const float* save_invstd, const float* coef, bool training, Act act,
                    float alpha, bool had_residual, void* dx, float* dgamma, float* dbeta,
                    void* dresidual);
// cuDNN's NHWC batch norm for f16 training (CUDNN_BATCHNORM_SPATIAL_PERSISTENT, the
// semi-persistent kernels PyTorch's AMP step runs), with the ReLU and the residual add
// fused into it: act None without residual (ops BN), ReLU (BN_ACTIVATION), ReLU with a
// residual z (BN_ADD_ACTIVATION). x, z, y, dy, dx, dz: [N, H, W, C] binary16; parameters
// and statistics f32 (save_invstd = 1/sqrt(var + eps); running_var gets the unbiased
// variance). The forward fills reserve (reserve_bytes from bn_cudnn_reserve_bytes) for the
// backward, which needs the forward's y when act is ReLU. Both the reserve query and the
// forward return false, having written nothing, when cuDNN refuses the shape
// (NOT_SUPPORTED or BAD_PARAM, warned once per shape): the caller runs its own kernels.
bool bn_cudnn_reserve_bytes(int N, int C, int H, int W, Act act, bool residual, size_t* bytes);
bool bn_act_fwd_cudnn_f16(const void* x, const void* z, int N, int C, int H, int W,
                          const float* gamma, const float* beta, float eps, float momentum,
                          float* running_mean, float* running_var, Act act, void* y,
                          float* save_mean, float* save_invstd, void* reserve,
                          size_t reserve_bytes);
void bn_act_bwd_cudnn_f16(const void* x, const void* y, const void* dy, int N, int C, int H,
                          int W, const float* gamma, const float* beta, const float* save_mean,
                          const float* save_invstd, float eps, Act act, bool residual,
                          const void* reserve, size_t reserve_bytes, void* dx, float* dgamma,
                          float* dbeta, void* dz);
}  // namespace ss::cuda
