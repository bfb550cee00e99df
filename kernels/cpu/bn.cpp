// Batch norm, parallel over channels; statistics accumulate in double so fp32 results
// match a two-pass reference closely.
#include "ss/kernels/bn.h"

#include <cmath>

#include "instantiate.h"

namespace ss::cpu {

template <class T>
void bn_fwd_train(const T* x, int N, int C, int HW, const T* gamma, const T* beta, T eps,
                  T momentum, T* running_mean, T* running_var, T* y, T* save_mean,
                  T* save_invstd) {
  const double M = double(N) * HW;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    double s = 0;
    for (int n = 0; n < N; ++n) {
      const T* p = x + (int64_t(n) * C + c) * HW;
      for (int i = 0; i < HW; ++i) s += p[i];
    }
    const double mean = s / M;
    double ss = 0;
    for (int n = 0; n < N; ++n) {
      const T* p = x + (int64_t(n) * C + c) * HW;
      for (int i = 0; i < HW; ++i) ss += (p[i] - mean) * (p[i] - mean);
    }
    const double var = ss / M;
    const double invstd = 1.0 / std::sqrt(var + double(eps));
    const T a = T(double(gamma[c]) * invstd), b = T(double(beta[c]) - mean * a);
    for (int n = 0; n < N; ++n) {
      const T* p = x + (int64_t(n) * C + c) * HW;
      T* q = y + (int64_t(n) * C + c) * HW;
      for (int i = 0; i < HW; ++i) q[i] = p[i] * a + b;
    }
    save_mean[c] = T(mean);
    save_invstd[c] = T(invstd);
    if (running_mean) {
      const double unbiased = M > 1 ? var * M / (M - 1) : var;
      running_mean[c] = T((1 - double(momentum)) * running_mean[c] + double(momentum) * mean);
      running_var[c] = T((1 - double(momentum)) * running_var[c] + double(momentum) * unbiased);
    }
  }
}

template <class T>
void bn_fwd_eval(const T* x, int N, int C, int HW, const T* gamma, const T* beta,
                 const T* running_mean, const T* running_var, T eps, T* y) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c) {
      const double invstd = 1.0 / std::sqrt(double(running_var[c]) + double(eps));
      const T a = T(gamma[c] * invstd), b = T(beta[c] - running_mean[c] * double(a));
      const T* p = x + (int64_t(n) * C + c) * HW;
      T* q = y + (int64_t(n) * C + c) * HW;
      for (int i = 0; i < HW; ++i) q[i] = p[i] * a + b;
    }
}

template <class T>
void bn_bwd(const T* x, const T* dy, int N, int C, int HW, const T* gamma, const T* save_mean,
            const T* save_invstd, bool training, T* dx, T* dgamma, T* dbeta) {
  const double M = double(N) * HW;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sdy = 0, sdyx = 0;
    for (int n = 0; n < N; ++n) {
      const T* xp = x + (int64_t(n) * C + c) * HW;
      const T* gp = dy + (int64_t(n) * C + c) * HW;
      for (int i = 0; i < HW; ++i) {
        sdy += gp[i];
        sdyx += gp[i] * (xp[i] - mean);
      }
    }
    dbeta[c] = T(sdy);
    dgamma[c] = T(sdyx * invstd);
    const double k = double(gamma[c]) * invstd;
    for (int n = 0; n < N; ++n) {
      const T* xp = x + (int64_t(n) * C + c) * HW;
      const T* gp = dy + (int64_t(n) * C + c) * HW;
      T* dp = dx + (int64_t(n) * C + c) * HW;
      if (training) {
        const double mdy = sdy / M, mdyx = sdyx * invstd * invstd / M;
        for (int i = 0; i < HW; ++i) dp[i] = T(k * (gp[i] - mdy - (xp[i] - mean) * mdyx));
      } else {
        for (int i = 0; i < HW; ++i) dp[i] = T(k * gp[i]);
      }
    }
  }
}

#define INST(T)                                                                             \
  template void bn_fwd_train<T>(const T*, int, int, int, const T*, const T*, T, T, T*, T*,  \
                                T*, T*, T*);                                                \
  template void bn_fwd_eval<T>(const T*, int, int, int, const T*, const T*, const T*,       \
                               const T*, T, T*);                                            \
  template void bn_bwd<T>(const T*, const T*, int, int, int, const T*, const T*, const T*,  \
                          bool, T*, T*, T*);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
