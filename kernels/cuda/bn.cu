// Batch normalisation (NCHW, per-channel statistics over N and HW).
//
// Statistics are two-pass (mean, then sum of squared deviations) in double through the
// deterministic per-channel reduction, mirroring kernels/cpu/bn.cpp: per-channel scalars
// are computed in double with the same expressions and rounded to float at the same
// points, and per-element maps use _rn intrinsics so nvcc does not contract them into
// FMAs the CPU build does not use. CPU and GPU then differ only in summation order.
#include "device_util.cuh"
#include "ss/kernels/bn.h"
#include "ss/kernels/switches.h"

namespace ss::cuda {
namespace {

constexpr int64_t k32 = int64_t(1) << 32;

// The statistics' and backward's sums also have a rows8 form (dev::rows8_partials_kernel:
// Lane8, lane8, add8, vec8_ok) with the same per-element terms.
struct NoLane8 {};

// Per channel: the sum of x, and with kSquares the sum of x^2 too (one-pass statistics).
template <class S, bool kSquares>
struct Sums {
  const S* x;
  __device__ void operator()(int c, int64_t k, double* acc) const {
    const double v = dev::ld(x, k);
    acc[0] += v;
    if constexpr (kSquares) acc[1] += v * v;
  }
  using Lane8 = NoLane8;
  __device__ Lane8 lane8(int) const { return {}; }
  template <int NA>
  __device__ void add8(Lane8, int64_t e, double (&acc)[NA][8]) const {
    float xv[8];
    dev::ld8(x, e, xv);
#pragma unroll
    for (int l = 0; l < 8; ++l) {
      const double v = xv[l];
      acc[0][l] += v;
      if constexpr (kSquares) acc[1][l] += v * v;
    }
  }
  bool vec8_ok(int64_t total) const { return dev::vec8_ok(total, {x}); }
};
template <class S>
using Load = Sums<S, false>;
struct MeanFinal {
  double* mean;
  double M;
  __device__ void operator()(int c, const double* tot) const { mean[c] = tot[0] / M; }
};
template <class S>
struct SqDev {
  const S* x;
  const double* mean;
  __device__ void operator()(int c, int64_t k, double* acc) const {
    const double d = double(dev::ld(x, k)) - mean[c];
    acc[0] += d * d;
  }
  using Lane8 = dev::Lane8Of<double>;  // the means
  __device__ Lane8 lane8(int c0) const { return dev::lane8_of(mean, c0); }
  template <int NA>
  __device__ void add8(const Lane8& m, int64_t e, double (&acc)[NA][8]) const {
    float xv[8];
    dev::ld8(x, e, xv);
#pragma unroll
    for (int l = 0; l < 8; ++l) {
      const double d = double(xv[l]) - m.v[l];
      acc[0][l] += d * d;
    }
  }
  bool vec8_ok(int64_t total) const { return dev::vec8_ok(total, {x}); }
};
// The per-channel results of the statistics: the affine map y = x*a + b (ab: [C] a, [C] b),
// saved statistics and running averages.
struct StatsOut {
  const float *gamma, *beta;
  double M, eps, momentum;
  float *running_mean, *running_var, *save_mean, *save_invstd;
  float* ab;
  int C;
  __device__ void write(int c, double mu, double var) const {
    const double invstd = 1.0 / sqrt(var + eps);
    const float a = float((gamma ? double(gamma[c]) : 1.0) * invstd);
    const float b = float(__dsub_rn(beta ? double(beta[c]) : 0.0, __dmul_rn(mu, double(a))));
    ab[c] = a;
    ab[C + c] = b;
    if (save_mean) save_mean[c] = float(mu);
    if (save_invstd) save_invstd[c] = float(invstd);
    if (running_mean) {
      const double unbiased = M > 1 ? var * M / (M - 1) : var;
      const double keep = 1 - momentum;
      running_mean[c] = float(__dadd_rn(__dmul_rn(keep, running_mean[c]), __dmul_rn(momentum, mu)));
      running_var[c] =
          float(__dadd_rn(__dmul_rn(keep, running_var[c]), __dmul_rn(momentum, unbiased)));
    }
  }
};
struct VarFinal {  // second pass of two: tot = sum of squared deviations
  const double* mean;
  StatsOut out;
  __device__ void operator()(int c, const double* tot) const {
    out.write(c, mean[c], tot[0] / out.M);
  }
};
// One pass: sum and sum of squares together. In double the cancellation of E[x^2] - mean^2
// costs ~1e-16 * mean^2/var relative, far below the float results' rounding for any
// activation a network produces.
template <class S>
using LoadSq = Sums<S, true>;
struct SumSqFinal {
  StatsOut out;
  __device__ void operator()(int c, const double* tot) const {
    const double mu = tot[0] / out.M;
    out.write(c, mu, fmax(tot[1] / out.M - mu * mu, 0.0));
  }
};

struct EvalCoef {
  const float *gamma, *beta, *running_mean, *running_var;
  double eps;
  float* ab;
  int C;
  __device__ void operator()(int64_t c) const {
    const double invstd = 1.0 / sqrt(double(running_var[c]) + eps);
    const float a = float((gamma ? double(gamma[c]) : 1.0) * invstd);
    const float b = float(
        __dsub_rn(beta ? double(beta[c]) : 0.0, __dmul_rn(double(running_mean[c]), double(a))));
    ab[c] = a;
    ab[C + c] = b;
  }
};

// y = x*a + b, rounded after the product like the CPU.
struct Apply {
  const float* x;
  float* y;
  const float* ab;
  int64_t HW;
  int C;
  bool small;
  __device__ void operator()(int64_t k) const {
    const int c = dev::channel_of(k, HW, C, small);
    y[k] = __fadd_rn(__fmul_rn(x[k], ab[c]), ab[C + c]);
  }
};

struct DyTerms {
  const float *x, *dy, *save_mean;
  __device__ void operator()(int c, int64_t k, double* acc) const {
    const double g = dy[k];
    acc[0] += g;
    acc[1] += g * (double(x[k]) - double(save_mean[c]));
  }
  using Lane8 = dev::Lane8Of<float>;  // the saved means
  __device__ Lane8 lane8(int c0) const { return dev::lane8_of(save_mean, c0); }
  template <int NA>
  __device__ void add8(const Lane8& m, int64_t e, double (&acc)[NA][8]) const {
    float xv[8], gv[8];
    dev::ld8(x, e, xv);
    dev::ld8(dy, e, gv);
#pragma unroll
    for (int l = 0; l < 8; ++l) {
      const double g = gv[l];
      acc[0][l] += g;
      acc[1][l] += g * (double(xv[l]) - double(m.v[l]));
    }
  }
  bool vec8_ok(int64_t total) const { return dev::vec8_ok(total, {x, dy}); }
};
// coef: [C] k = gamma*invstd, [C] mean(dy), [C] mean(dy*xhat)*invstd, [C] mean
struct BwdFinal {
  const float *gamma, *save_mean, *save_invstd;
  float *dgamma, *dbeta;
  double* coef;
  double M;
  int C;
  __device__ void operator()(int c, const double* tot) const {
    const double sdy = tot[0], sdyx = tot[1], invstd = save_invstd[c];
    if (dbeta) dbeta[c] = float(sdy);
    if (dgamma) dgamma[c] = float(sdyx * invstd);
    coef[c] = (gamma ? double(gamma[c]) : 1.0) * invstd;
    coef[C + c] = sdy / M;
    coef[2 * C + c] = sdyx * invstd * invstd / M;
    coef[3 * C + c] = save_mean[c];
  }
};
struct BwdApply {
  const float *x, *dy;
  float* dx;
  const double* coef;
  int64_t HW;
  int C;
  bool small, training;
  __device__ void operator()(int64_t e) const {
    const int c = dev::channel_of(e, HW, C, small);
    const double k = coef[c], g = dy[e];
    if (!training) {
      dx[e] = float(k * g);
      return;
    }
    const double xm = __dsub_rn(double(x[e]), coef[3 * C + c]);
    const double t = __dsub_rn(__dsub_rn(g, coef[C + c]), __dmul_rn(xm, coef[2 * C + c]));
    dx[e] = float(k * t);
  }
};

size_t align8(size_t b) { return (b + 7) / 8 * 8; }

// SS_BN_STATS=onepass (opt-in until it has run on a GPU): the statistics in one read of x
// instead of two; the second read is a whole pass over the activation on the device, where
// it does not stay in L2 (ResNet50 @128 b96: ~1.2 ms of a 36 ms step on an H100).
bool one_pass_stats() {
  static const bool on = perf_switch("SS_BN_STATS");
  return on;
}

template <class S>
float* train_coefs(const S* x, int N, int C, int HW, const float* gamma, const float* beta,
                   float eps, float momentum, float* running_mean, float* running_var,
                   float* save_mean, float* save_invstd, float* ab) {
  const dev::ChannelSplit sp = dev::channel_split(N, C, HW, dev::rows8_reduce_on());
  const bool one = one_pass_stats();
  const size_t part_b = sizeof(double) * size_t(C) * sp.S * (one ? 2 : 1);
  const size_t mean_b = sizeof(double) * size_t(C);
  const size_t ab_b = ab ? 0 : align8(sizeof(float) * 2 * size_t(C));
  char* ws = static_cast<char*>(workspace(part_b + mean_b + ab_b));
  auto* part = reinterpret_cast<double*>(ws);
  auto* mean = reinterpret_cast<double*>(ws + part_b);
  if (!ab) ab = reinterpret_cast<float*>(ws + part_b + mean_b);
  const double M = double(N) * HW;
  const StatsOut out{gamma, beta, M, double(eps), double(momentum), running_mean,
                     running_var, save_mean, save_invstd, ab, C};
  if (one) {
    dev::channel_reduce<2>(sp, LoadSq<S>{x}, SumSqFinal{out}, part);
    return ab;
  }
  dev::channel_reduce<1>(sp, Load<S>{x}, MeanFinal{mean, M}, part);
  dev::channel_reduce<1>(sp, SqDev<S>{x, mean}, VarFinal{mean, out}, part);
  return ab;
}

}  // namespace

float* bn_train_coefs(const float* x, int N, int C, int HW, const float* gamma,
                      const float* beta, float eps, float momentum, float* running_mean,
                      float* running_var, float* save_mean, float* save_invstd, float* ab) {
  return train_coefs(x, N, C, HW, gamma, beta, eps, momentum, running_mean, running_var,
                     save_mean, save_invstd, ab);
}
float* bn_train_coefs_f16(const void* x, int N, int C, int HW, const float* gamma,
                          const float* beta, float eps, float momentum, float* running_mean,
                          float* running_var, float* save_mean, float* save_invstd, float* ab) {
  return train_coefs(static_cast<const __half*>(x), N, C, HW, gamma, beta, eps, momentum,
                     running_mean, running_var, save_mean, save_invstd, ab);
}

float* bn_eval_coefs(int C, const float* gamma, const float* beta, const float* running_mean,
                     const float* running_var, float eps, float* ab) {
  if (!ab) ab = static_cast<float*>(workspace(sizeof(float) * 2 * size_t(C)));
  dev::launch_each(EvalCoef{gamma, beta, running_mean, running_var, double(eps), ab, C}, C);
  return ab;
}

namespace {
struct EvalInvstd {
  const float* var;
  double eps;
  float* out;
  __device__ void operator()(int64_t c) const { out[c] = float(1.0 / sqrt(double(var[c]) + eps)); }
};
}  // namespace

void bn_eval_invstd(const float* running_var, int C, double eps, float* invstd) {
  dev::launch_each(EvalInvstd{running_var, eps, invstd}, C);
}

void bn_fwd_train(const float* x, int N, int C, int HW, const float* gamma, const float* beta,
                  float eps, float momentum, float* running_mean, float* running_var, float* y,
                  float* save_mean, float* save_invstd) {
  if (C <= 0) return;
  const float* ab = bn_train_coefs(x, N, C, HW, gamma, beta, eps, momentum, running_mean,
                                   running_var, save_mean, save_invstd, nullptr);
  const int64_t total = int64_t(N) * C * HW;
  dev::launch_each(Apply{x, y, ab, HW, C, total < k32}, total);
}

void bn_fwd_eval(const float* x, int N, int C, int HW, const float* gamma, const float* beta,
                 const float* running_mean, const float* running_var, float eps, float* y) {
  if (C <= 0) return;
  const float* ab = bn_eval_coefs(C, gamma, beta, running_mean, running_var, eps, nullptr);
  const int64_t total = int64_t(N) * C * HW;
  dev::launch_each(Apply{x, y, ab, HW, C, total < k32}, total);
}

void bn_bwd(const float* x, const float* dy, int N, int C, int HW, const float* gamma,
            const float* save_mean, const float* save_invstd, bool training, float* dx,
            float* dgamma, float* dbeta) {
  if (C <= 0) return;
  const dev::ChannelSplit sp = dev::channel_split(N, C, HW, dev::rows8_reduce_on());
  const size_t part_b = sizeof(double) * 2 * size_t(C) * sp.S;
  char* ws = static_cast<char*>(workspace(part_b + sizeof(double) * 4 * size_t(C)));
  auto* part = reinterpret_cast<double*>(ws);
  auto* coef = reinterpret_cast<double*>(ws + part_b);
  const double M = double(N) * HW;
  dev::channel_reduce<2>(sp, DyTerms{x, dy, save_mean},
                         BwdFinal{gamma, save_mean, save_invstd, dgamma, dbeta, coef, M, C}, part);
  if (!dx) return;
  const int64_t total = int64_t(N) * C * HW;
  dev::launch_each(BwdApply{x, dy, dx, coef, HW, C, total < k32, training}, total);
}

}  // namespace ss::cuda
