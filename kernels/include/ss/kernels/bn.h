// Batch normalisation over N and spatial dims, per channel. Layout NCHW, HW = H*W.
// Running statistics follow PyTorch: running = (1-momentum)*running + momentum*batch,
// with the unbiased variance for the running estimate and the biased one to normalise.
#pragma once
#include <cstdint>

namespace ss::cpu {
template <class T>
void bn_fwd_train(const T* x, int N, int C, int HW, const T* gamma, const T* beta, T eps,
                  T momentum, T* running_mean, T* running_var, T* y, T* save_mean,
                  T* save_invstd);
template <class T>
void bn_fwd_eval(const T* x, int N, int C, int HW, const T* gamma, const T* beta,
                 const T* running_mean, const T* running_var, T eps, T* y);
// training=true: full batch-statistics backward using save_mean/save_invstd.
// training=false: statistics are constants; save_* hold running mean and 1/sqrt(var+eps).
// Overwrites dx, dgamma, dbeta.
template <class T>
void bn_bwd(const T* x, const T* dy, int N, int C, int HW, const T* gamma, const T* save_mean,
            const T* save_invstd, bool training, T* dx, T* dgamma, T* dbeta);
}  // namespace ss::cpu

namespace ss::cuda {
void bn_fwd_train(const float* x, int N, int C, int HW, const float* gamma, const float* beta,
                  float eps, float momentum, float* running_mean, float* running_var, float* y,
                  float* save_mean, float* save_invstd);
void bn_fwd_eval(const float* x, int N, int C, int HW, const float* gamma, const float* beta,
                 const float* running_mean, const float* running_var, float eps, float* y);
void bn_bwd(const float* x, const float* dy, int N, int C, int HW, const float* gamma,
            const float* save_mean, const float* save_invstd, bool training, float* dx,
            float* dgamma, float* dbeta);
}  // namespace ss::cuda
