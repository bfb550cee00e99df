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

// ---- building blocks shared with bn_act.h, so both ops run the same statistics code ----
// Channels per OpenMP tile for a pass over `bytes_per_elem` bytes of operands per element.
int bn_tile_channels(int N, int C, int HW, int64_t bytes_per_elem);
// Batch statistics of channels [c0, c1): save_mean/save_invstd, the running-stat update
// (when running_mean), and BN's affine map y = x*scale + shift rounded to T, written to
// scale[c - c0], shift[c - c0].
template <class T>
void bn_train_stats(const T* x, int N, int C, int HW, int c0, int c1, const T* gamma,
                    const T* beta, T eps, T momentum, T* running_mean, T* running_var,
                    T* save_mean, T* save_invstd, T* scale, T* shift);
// The same map from running statistics, for all C channels (scale[c], shift[c]).
template <class T>
void bn_eval_coefs(int C, const T* gamma, const T* beta, const T* running_mean,
                   const T* running_var, T eps, T* scale, T* shift);
// bn_bwd for channels [c0, c1) only, single-threaded; dx may alias dy.
template <class T>
void bn_bwd_channels(const T* x, const T* dy, int N, int C, int HW, int c0, int c1,
                     const T* gamma, const T* save_mean, const T* save_invstd, bool training,
                     T* dx, T* dgamma, T* dbeta);
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

// Shared with bn_act: the statistics/running-stat pass of bn_fwd_train and the eval
// coefficients of bn_fwd_eval, writing BN's affine map to ab ([C] scale, then [C] shift,
// device memory). ab == nullptr places it in the workspace. Returns ab.
float* bn_train_coefs(const float* x, int N, int C, int HW, const float* gamma,
                      const float* beta, float eps, float momentum, float* running_mean,
                      float* running_var, float* save_mean, float* save_invstd, float* ab);
float* bn_eval_coefs(int C, const float* gamma, const float* beta, const float* running_mean,
                     const float* running_var, float eps, float* ab);
// invstd[c] = 1 / sqrt(running_var[c] + eps) in double, rounded once (the host's formula):
// eval-mode BN's constant statistics for a backward pass, without a host round trip.
void bn_eval_invstd(const float* running_var, int C, double eps, float* invstd);
// The same statistics of binary16 activations (x points to IEEE half data).
float* bn_train_coefs_f16(const void* x, int N, int C, int HW, const float* gamma,
                          const float* beta, float eps, float momentum, float* running_mean,
                          float* running_var, float* save_mean, float* save_invstd, float* ab);
}  // namespace ss::cuda
