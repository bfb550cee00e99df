// Fused batch norm + activation (+ residual), mirroring kernels/cpu/bn_act.cpp.
//
// Forward: bn.cu's statistics pass (bn_train_coefs / bn_eval_coefs, writing the affine map
// straight into coef), then one elementwise pass. Backward: da = dy * act'(a) is recomputed
// in both passes (never stored): the deterministic per-channel reduction of da and
// da*(x - mean), then dx (and dresidual = da). Per-element maps use _rn intrinsics and the
// expressions of bn.cu / act.cu, so the GPU matches the CPU up to summation order.
#include <algorithm>
#include <initializer_list>
#include <type_traits>

#include "device_util.cuh"
#include "ss/kernels/bn.h"
#include "ss/kernels/bn_act.h"
#include "ss/kernels/switches.h"

namespace ss::cuda {
namespace {

constexpr int64_t k32 = int64_t(1) << 32;

using dev::ld;
using dev::st;

// a = x*scale + shift (+ r): bn.cu's Apply rounding, then the add's. S is the activation
// storage (float, or __half for mixed precision: f32 arithmetic, one rounding on store).
__device__ __forceinline__ float pre_act_v(float xv, bool has_r, float rv, float scale,
                                           float shift) {
  const float z = __fadd_rn(__fmul_rn(xv, scale), shift);
  return has_r ? __fadd_rn(z, rv) : z;
}
__device__ __forceinline__ float act_of(Act act, float alpha, float v) {
  if (act == Act::ReLU) return v > 0.f ? v : 0.f;
  if (act == Act::CELU) return v > 0.f ? v : alpha * expm1f(v / alpha);
  return v;
}

template <class S>
struct ActApply {
  const S *x, *r;
  S* y;
  const float* coef;  // [C] scale, [C] shift
  int64_t HW;
  int C;
  bool small;
  Act act;
  float alpha;
  __device__ float out(int c, float xv, float rv) const {
    return act_of(act, alpha, pre_act_v(xv, r != nullptr, rv, coef[c], coef[C + c]));
  }
  __device__ void operator()(int64_t k) const {
    st(y, k, out(dev::channel_of(k, HW, C, small), ld(x, k), r ? ld(r, k) : 0.f));
  }
};
// 8 elements per thread in 16-byte accesses. On an H100 (ResNet9 @64 px, b512) this took
// the 8 forward passes from 1.45 ms to 1.24 ms; the same treatment made the backward's
// DaApply slower (2.4 -> 3.1 ms: its per-lane double coefficients are gathered 64 bytes
// apart), and a 4-way unrolled load-then-store version of both was slower still (3.7 and
// 1.7 ms), so the backward stays per element.
template <class S>
struct ActApply8 {
  ActApply<S> a;
  __device__ void operator()(int64_t k) const {
    float xv[8], rv[8] = {}, o[8];
    dev::ld8(a.x, k, xv);
    if (a.r) dev::ld8(a.r, k, rv);
#pragma unroll
    for (int l = 0; l < 8; ++l)
      o[l] = a.out(dev::channel_of(k + l, a.HW, a.C, a.small), xv[l], rv[l]);
    dev::st8(a.y, k, o);
  }
};

// A value as stored in S (the forward's one rounding on store).
__device__ __forceinline__ float stored(float v, const float*) { return v; }
__device__ __forceinline__ float stored(float v, const __half*) {
  return __half2float(__float2half_rn(v));
}

// da = dy * act'(a) as act.cu's relu_bwd/celu_bwd; ReLU reads the mask off the output.
template <class S>
struct ActGrad {
  const S *x, *dy, *r, *y;
  const float* coef;
  int C;
  Act act;
  float alpha;
  // The forward added a residual. Not the same as r != nullptr: r is passed (and kept
  // alive) for CELU only, ReLU's mask needs the residual only through y.
  bool had_residual;
  // ReLU without a residual, in the rows kernels (the channel's scale and shift sit in
  // registers, x is read anyway): y > 0 exactly when the pre-activation rounded as stored
  // is, so the mask comes from x and the read of y is saved, with the same bits.
  __device__ bool relu_from_x() const { return act == Act::ReLU && !had_residual; }
  // From values: yv is read for ReLU only (unless mask_from_x); xv, rv and the channel's
  // scale and shift for CELU (and ReLU's mask_from_x) only.
  __device__ float value(float g, float yv, float xv, float rv, float scale, float shift,
                         bool mask_from_x = false) const {
    if (act == Act::ReLU && mask_from_x)
      return stored(pre_act_v(xv, false, 0.f, scale, shift), y) > 0.f ? g : 0.f;
    if (act == Act::ReLU) return yv > 0.f ? g : 0.f;
    if (act == Act::CELU) {
      const float v = pre_act_v(xv, r != nullptr, rv, scale, shift);
      return v > 0.f ? g : g * expf(v / alpha);
    }
    return g;
  }
  __device__ float operator()(int c, int64_t k) const {
    const float g = ld(dy, k);
    if (act == Act::ReLU) return value(g, ld(y, k), 0.f, 0.f, 0.f, 0.f);
    if (act == Act::CELU) return value(g, 0.f, ld(x, k), r ? ld(r, k) : 0.f, coef[c], coef[C + c]);
    return g;
  }
};

template <class S>
struct DaTerms {
  ActGrad<S> da;
  const float* save_mean;
  __device__ void operator()(int c, int64_t k, double* acc) const {
    const double g = da(c, k);
    acc[0] += g;
    acc[1] += g * (double(ld(da.x, k)) - double(save_mean[c]));
  }
  // rows8 form (dev::rows8_partials_kernel), the same terms
  struct Lane8 {
    float mean[8], scale[8], shift[8];
  };
  __device__ Lane8 lane8(int c0) const {
    Lane8 m;
    const bool coefs = da.act == Act::CELU || da.relu_from_x();
#pragma unroll
    for (int l = 0; l < 8; ++l) {
      m.mean[l] = save_mean[c0 + l];
      m.scale[l] = coefs ? da.coef[c0 + l] : 0.f;
      m.shift[l] = coefs ? da.coef[da.C + c0 + l] : 0.f;
    }
    return m;
  }
  template <int NA>
  __device__ void add8(const Lane8& m, int64_t e, double (&acc)[NA][8]) const {
    float dy[8], yv[8] = {}, xv[8], rv[8] = {};
    const bool mask_from_x = da.relu_from_x();
    dev::ld8(da.dy, e, dy);
    dev::ld8(da.x, e, xv);
    if (da.act == Act::ReLU && !mask_from_x) dev::ld8(da.y, e, yv);
    if (da.act == Act::CELU && da.r) dev::ld8(da.r, e, rv);
#pragma unroll
    for (int l = 0; l < 8; ++l) {
      const double g =
          da.value(dy[l], yv[l], xv[l], rv[l], m.scale[l], m.shift[l], mask_from_x);
      acc[0][l] += g;
      acc[1][l] += g * (double(xv[l]) - double(m.mean[l]));
    }
  }
  bool vec8_ok(int64_t total) const {
    const void *x = da.x, *dy = da.dy, *y = da.y, *r = da.r;
    return dev::vec8_ok(total, {x, dy, y, r});
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
// dx of one element from da = d, the input value xv and its channel's g coefficients
// (k, mean(da), mean(da*xhat)*invstd, mean; only k is used outside training).
__device__ __forceinline__ float bn_dx(bool training, float d, float xv, double k, double mean_da,
                                       double mean_dax, double mean) {
  const double gd = d;
  if (!training) return float(k * gd);
  const double xm = __dsub_rn(double(xv), mean);
  const double t = __dsub_rn(__dsub_rn(gd, mean_da), __dmul_rn(xm, mean_dax));
  return float(k * t);
}

template <class S>
struct DaApply {
  ActGrad<S> da;
  S *dx, *dres;
  const double* g;
  int64_t HW;
  int C;
  bool small, training;
  __device__ void operator()(int64_t e) const {
    const int c = dev::channel_of(e, HW, C, small);
    const float d = da(c, e);
    if (dres) st(dres, e, d);
    if (!dx) return;
    if (!training) return st(dx, e, bn_dx(false, d, 0.f, g[c], 0.0, 0.0, 0.0));
    st(dx, e, bn_dx(true, d, ld(da.x, e), g[c], g[C + c], g[2 * C + c], g[3 * C + c]));
  }
};

// Opt-in (SS_BN_APPLY=rows), untimed so far: the forward and backward applies on NHWC
// data with a thread per (channel group of 8, rows r, r + R, ...), so each thread reads its
// eight channels' coefficients once (into registers) instead of per element, and moves 16
// bytes per array per row. The per-element kernels gather every element's coefficients
// (the backward four doubles, 64 bytes apart across a warp's 8-wide lanes): on the H100
// they ran at 2-3x the time their DRAM traffic needs. Needs C/8 to divide the block size
// (every thread's channel group is fixed across its rows); the grid is one resident wave
// (resident_grid), so each thread loads its coefficients once for as many rows as possible.
// The same arithmetic as ActApply / DaApply, element for element.
__device__ __forceinline__ rows8::Walk rows_thread(int C, int64_t rows) {
  return rows8::apply_walk(int64_t(blockIdx.x) * kThreads + threadIdx.x,
                           int64_t(gridDim.x) * kThreads, C, rows);
}

template <class S>
__global__ void __launch_bounds__(kThreads) act_apply_rows8(ActApply<S> a, int64_t rows) {
  const int C = a.C;
  const rows8::Walk th = rows_thread(C, rows);
  const dev::Lane8Of<float> scale = dev::lane8_of(a.coef, th.c0);
  const dev::Lane8Of<float> shift = dev::lane8_of(a.coef + C, th.c0);
  for (int64_t row = th.first_row; row < th.end_row; row += th.row_step) {
    const int64_t e = row * C + th.c0;
    float xv[8], rv[8] = {}, o[8];
    dev::ld8(a.x, e, xv);
    if (a.r) dev::ld8(a.r, e, rv);
#pragma unroll
    for (int l = 0; l < 8; ++l)
      o[l] = act_of(a.act, a.alpha,
                    pre_act_v(xv[l], a.r != nullptr, rv[l], scale.v[l], shift.v[l]));
    dev::st8(a.y, e, o);
  }
}

template <class S>
__global__ void __launch_bounds__(kThreads, 2) da_apply_rows8(DaApply<S> a, int64_t rows) {
  const ActGrad<S>& da = a.da;
  const int C = a.C;
  const rows8::Walk th = rows_thread(C, rows);
  const int c0 = th.c0;
  const bool celu = da.act == Act::CELU;
  const bool need_x = celu || (a.dx && a.training);
  const bool mask_from_x = need_x && da.relu_from_x();  // ActGrad::relu_from_x
  const bool relu_y = da.act == Act::ReLU && !mask_from_x;
  const bool coefs = celu || mask_from_x;
  double k[8], m1[8], m2[8], mu[8];
  float scale[8], shift[8];
#pragma unroll
  for (int l = 0; l < 8; ++l) {
    const int c = c0 + l;
    k[l] = a.dx ? a.g[c] : 0.0;
    m1[l] = a.dx && a.training ? a.g[C + c] : 0.0;
    m2[l] = a.dx && a.training ? a.g[2 * C + c] : 0.0;
    mu[l] = a.dx && a.training ? a.g[3 * C + c] : 0.0;
    scale[l] = coefs ? da.coef[c] : 0.f;
    shift[l] = coefs ? da.coef[C + c] : 0.f;
  }
  for (int64_t row = th.first_row; row < th.end_row; row += th.row_step) {
    const int64_t e = row * C + c0;
    float dy[8], yv[8] = {}, xv[8] = {}, rv[8] = {}, d[8];
    dev::ld8(da.dy, e, dy);
    if (relu_y) dev::ld8(da.y, e, yv);
    if (need_x) dev::ld8(da.x, e, xv);
    if (celu && da.r) dev::ld8(da.r, e, rv);
#pragma unroll
    for (int l = 0; l < 8; ++l)
      d[l] = da.value(dy[l], yv[l], xv[l], rv[l], scale[l], shift[l], mask_from_x);
    if (a.dres) dev::st8(a.dres, e, d);
    if (!a.dx) continue;
#pragma unroll
    for (int l = 0; l < 8; ++l) d[l] = bn_dx(a.training, d[l], xv[l], k[l], m1[l], m2[l], mu[l]);
    dev::st8(a.dx, e, d);
  }
}

// SS_BN_APPLY=rows selects the rows kernels where they apply: NHWC data (HW == 1, N counts
// rows of C channels), 8-channel groups that divide the block, 16-byte aligned arrays.
bool rows8_applies(int HW, int C, int64_t total, std::initializer_list<const void*> ptrs) {
  static const bool on = perf_switch("SS_BN_APPLY");
  return on && HW == 1 && rows8::eligible(C, kThreads) && dev::vec8_ok(total, ptrs);
}
// A rows kernel over `rows` rows of C channels: one resident wave, at most a thread per
// (row, group). The wave is measured once per kernel (one instantiation per functor F).
template <class F>
void launch_rows8(void (*kernel)(F, int64_t), const F& f, int64_t rows, int C) {
  static const unsigned resident = resident_grid(reinterpret_cast<const void*>(kernel));
  kernel<<<std::min(grid_for(rows * (C / 8)), resident), kThreads, 0, stream()>>>(f, rows);
  CUDA_CHECK_LAUNCH();
}

template <class S>
void act_fwd(const S* x, const S* residual, int N, int C, int HW, const float* gamma,
             const float* beta, bool training, float eps, float momentum, float* running_mean,
             float* running_var, Act act, float alpha, S* y, float* save_mean, float* save_invstd,
             float* coef) {
  if (C <= 0) return;
  if (!training)
    bn_eval_coefs(C, gamma, beta, running_mean, running_var, eps, coef);
  else if constexpr (std::is_same_v<S, float>)
    bn_train_coefs(x, N, C, HW, gamma, beta, eps, momentum, running_mean, running_var, save_mean,
                   save_invstd, coef);
  else
    bn_train_coefs_f16(x, N, C, HW, gamma, beta, eps, momentum, running_mean, running_var,
                       save_mean, save_invstd, coef);
  const int64_t total = int64_t(N) * C * HW;
  const ActApply<S> f{x, residual, y, coef, HW, C, total < k32, act, alpha};
  if (rows8_applies(HW, C, total, {x, residual, y}))
    return launch_rows8(act_apply_rows8<S>, f, N, C);
  dev::launch_each_or8(f, ActApply8<S>{f}, total, {x, residual, y});
}

template <class S>
void act_bwd(const S* x, const S* dy, const S* residual, const S* y, int N, int C, int HW,
             const float* gamma, const float* save_mean, const float* save_invstd,
             const float* coef, bool training, Act act, float alpha, bool had_residual, S* dx,
             float* dgamma, float* dbeta, S* dresidual) {
  if (C <= 0) return;
  const dev::ChannelSplit sp = dev::channel_split(N, C, HW, dev::rows8_reduce_on());
  const size_t part_b = sizeof(double) * 2 * size_t(C) * sp.S;
  char* ws = static_cast<char*>(workspace(part_b + sizeof(double) * 4 * size_t(C)));
  auto* part = reinterpret_cast<double*>(ws);
  auto* g = reinterpret_cast<double*>(ws + part_b);
  const double M = double(N) * HW;
  const ActGrad<S> da{x, dy, residual, y, coef, C, act, alpha, had_residual};
  dev::channel_reduce<2>(sp, DaTerms<S>{da, save_mean},
                         DaFinal{gamma, save_mean, save_invstd, dgamma, dbeta, g, M, C}, part);
  if (!dx && !dresidual) return;
  const int64_t total = int64_t(N) * C * HW;
  const DaApply<S> f{da, dx, dresidual, g, HW, C, total < k32, training};
  if (rows8_applies(HW, C, total, {x, dy, residual, y, dx, dresidual}))
    return launch_rows8(da_apply_rows8<S>, f, N, C);
  dev::launch_each(f, total);
}

const __half* H(const void* p) { return static_cast<const __half*>(p); }
__half* H(void* p) { return static_cast<__half*>(p); }

}  // namespace

void bn_act_fwd(const float* x, const float* residual, int N, int C, int HW, const float* gamma,
                const float* beta, bool training, float eps, float momentum, float* running_mean,
                float* running_var, Act act, float alpha, float* y, float* save_mean,
                float* save_invstd, float* coef) {
  act_fwd(x, residual, N, C, HW, gamma, beta, training, eps, momentum, running_mean, running_var,
          act, alpha, y, save_mean, save_invstd, coef);
}

void bn_act_bwd(const float* x, const float* dy, const float* residual, const float* y, int N,
                int C, int HW, const float* gamma, const float* save_mean,
                const float* save_invstd, const float* coef, bool training, Act act, float alpha,
                bool had_residual, float* dx, float* dgamma, float* dbeta, float* dresidual) {
  act_bwd(x, dy, residual, y, N, C, HW, gamma, save_mean, save_invstd, coef, training, act, alpha,
          had_residual, dx, dgamma, dbeta, dresidual);
}

void bn_act_fwd_f16(const void* x, const void* residual, int N, int C, int HW, const float* gamma,
                    const float* beta, bool training, float eps, float momentum,
                    float* running_mean, float* running_var, Act act, float alpha, void* y,
                    float* save_mean, float* save_invstd, float* coef) {
  act_fwd(H(x), H(residual), N, C, HW, gamma, beta, training, eps, momentum, running_mean,
          running_var, act, alpha, H(y), save_mean, save_invstd, coef);
}

void bn_act_bwd_f16(const void* x, const void* dy, const void* residual, const void* y, int N,
                    int C, int HW, const float* gamma, const float* save_mean,
                    const float* save_invstd, const float* coef, bool training, Act act,
                    float alpha, bool had_residual, void* dx, float* dgamma, float* dbeta,
                    void* dresidual) {
  act_bwd(H(x), H(dy), H(residual), H(y), N, C, HW, gamma, save_mean, save_invstd, coef,
          training, act, alpha, had_residual, H(dx), dgamma, dbeta, H(dresidual));
}

}  // namespace ss::cuda
