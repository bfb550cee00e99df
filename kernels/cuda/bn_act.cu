// Fused batch norm + activation (+ residual), mirroring kernels/cpu/bn_act.cpp.
//
// Forward: bn.cu's statistics pass (bn_train_coefs / bn_eval_coefs, writing the affine map
// straight into coef), then one elementwise pass. Backward: da = dy * act'(a) is recomputed
// in both passes (never stored): the deterministic per-channel reduction of da and
// da*(x - mean), then dx (and dresidual = da). Per-element maps use _rn intrinsics and the
// expressions of bn.cu / act.cu, so the GPU matches the CPU up to summation order.
#include "device_util.cuh"
#include "ss/kernels/bn.h"
#include "ss/kernels/bn_act.h"

namespace ss::cuda {
namespace {

constexpr int64_t k32 = int64_t(1) << 32;

// a = x*scale + shift (+ r): bn.cu's Apply rounding, then the add's.
__device__ __forceinline__ float pre_act(const float* x, const float* r, const float* coef, int C,
                                         int c, int64_t k) {
  const float z = __fadd_rn(__fmul_rn(x[k], coef[c]), coef[C + c]);
  return r ? __fadd_rn(z, r[k]) : z;
}

struct ActApply {
  const float *x, *r;
  float* y;
  const float* coef;  // [C] scale, [C] shift
  int64_t HW;
  int C;
  bool small;
  Act act;
  float alpha;
  __device__ void operator()(int64_t k) const {
    const int c = dev::channel_of(k, HW, C, small);
    const float v = pre_act(x, r, coef, C, c, k);
    float out = v;
    if (act == Act::ReLU)
      out = v > 0.f ? v : 0.f;
    else if (act == Act::CELU)
      out = v > 0.f ? v : alpha * expm1f(v / alpha);
    y[k] = out;
  }
};

// da = dy * act'(a) as act.cu's relu_bwd/celu_bwd; ReLU reads the mask off the output.
struct ActGrad {
  const float *x, *dy, *r, *y, *coef;
  int C;
  Act act;
  float alpha;
  __device__ float operator()(int c, int64_t k) const {
    const float g = dy[k];
    if (act == Act::ReLU) return y[k] > 0.f ? g : 0.f;
    if (act == Act::CELU) {
      const float v = pre_act(x, r, coef, C, c, k);
      return v > 0.f ? g : g * expf(v / alpha);
    }
    return g;
  }
};

struct DaTerms {
  ActGrad da;
  const float* save_mean;
  __device__ void operator()(int c, int64_t k, double* acc) const {
    const double g = da(c, k);
    acc[0] += g;
    acc[1] += g * (double(da.x[k]) - double(save_mean[c]));
  }
};
// As bn.cu's BwdFinal. g: [C] k = gamma*invstd, [C] mean(da), [C] mean(da*xhat)*invstd, [C] mean
struct DaFinal {
  const float *gamma, *save_mean, *save_invstd;
  float *dgamma, *dbeta;
  double* g;
  double M;
  int C;
  __device__ void operator()(int c, const double* tot) const {
    const double sda = tot[0], sdax = tot[1], invstd = save_invstd[c];
    if (dbeta) dbeta[c] = float(sda);
    if (dgamma) dgamma[c] = float(sdax * invstd);
    g[c] = (gamma ? double(gamma[c]) : 1.0) * invstd;
    g[C + c] = sda / M;
    g[2 * C + c] = sdax * invstd * invstd / M;
    g[3 * C + c] = save_mean[c];
  }
};
struct DaApply {
  ActGrad da;
  float *dx, *dres;
  const double* g;
  int64_t HW;
  int C;
  bool small, training;
  __device__ void operator()(int64_t e) const {
    const int c = dev::channel_of(e, HW, C, small);
    const float d = da(c, e);
    if (dres) dres[e] = d;
    if (!dx) return;
    const double k = g[c], gd = d;
    if (!training) {
      dx[e] = float(k * gd);
      return;
    }
    const double xm = __dsub_rn(double(da.x[e]), g[3 * C + c]);
    const double t = __dsub_rn(__dsub_rn(gd, g[C + c]), __dmul_rn(xm, g[2 * C + c]));
    dx[e] = float(k * t);
  }
};

}  // namespace

void bn_act_fwd(const float* x, const float* residual, int N, int C, int HW, const float* gamma,
                const float* beta, bool training, float eps, float momentum, float* running_mean,
                float* running_var, Act act, float alpha, float* y, float* save_mean,
                float* save_invstd, float* coef) {
  if (C <= 0) return;
  if (training)
    bn_train_coefs(x, N, C, HW, gamma, beta, eps, momentum, running_mean, running_var, save_mean,
                   save_invstd, coef);
  else
    bn_eval_coefs(C, gamma, beta, running_mean, running_var, eps, coef);
  const int64_t total = int64_t(N) * C * HW;
  dev::launch_each(ActApply{x, residual, y, coef, HW, C, total < k32, act, alpha}, total);
}

void bn_act_bwd(const float* x, const float* dy, const float* residual, const float* y, int N,
                int C, int HW, const float* gamma, const float* save_mean,
                const float* save_invstd, const float* coef, bool training, Act act, float alpha,
                float* dx, float* dgamma, float* dbeta, float* dresidual) {
  if (C <= 0) return;
  const dev::ChannelSplit sp = dev::channel_split(N, C, HW);
  const size_t part_b = sizeof(double) * 2 * size_t(C) * sp.S;
  char* ws = static_cast<char*>(workspace(part_b + sizeof(double) * 4 * size_t(C)));
  auto* part = reinterpret_cast<double*>(ws);
  auto* g = reinterpret_cast<double*>(ws + part_b);
  const double M = double(N) * HW;
  const ActGrad da{x, dy, residual, y, coef, C, act, alpha};
  dev::channel_reduce<2>(sp, DaTerms{da, save_mean},
                         DaFinal{gamma, save_mean, save_invstd, dgamma, dbeta, g, M, C}, part);
  if (!dx && !dresidual) return;
  const int64_t total = int64_t(N) * C * HW;
  dev::launch_each(DaApply{da, dx, dresidual, g, HW, C, total < k32, training}, total);
}

}  // namespace ss::cuda
