// Fused batch norm + activation (+ residual). Statistics, running stats and the BN
// backward are bn.cpp's (bn_train_stats, bn_eval_coefs, bn_bwd_channels); this file adds
// the per-tile activation passes. Expressions follow bn.cpp's affine map, the add kernel
// and act.cpp term for term, so results equal the unfused ops bit for bit.
//
// Training works tile by tile (consecutive channels, sized to stay in L2): statistics,
// then the output; backward: da = dy * act'(a) into dresidual (or dx as scratch), then
// bn.cpp's two passes (sums of da and da*xhat, then dx) over the same, still cached, tile.
#include "ss/kernels/bn_act.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "bn_tile.h"
#include "instantiate.h"
#include "ss/kernels/bn.h"

namespace ss::cpu {
namespace {

// One plane's pre-activation q = x * a + b (+ r), with the unfused ops' two roundings (the
// affine map, then the residual add). The forward and the CELU backward both call it, so
// the backward's recomputed value is the forward's bit for bit.
template <class T>
SS_INLINE void preact_plane(const T* p, const T* rp, T ac, T bc, int HW, T* q) {
#pragma omp simd
  for (int i = 0; i < HW; ++i) q[i] = p[i] * ac + bc;
  if (rp) {
#pragma omp simd
    for (int i = 0; i < HW; ++i) q[i] = q[i] + rp[i];
  }
}

// y = act(x * a[c] + b[c] (+ r)); a, b indexed by c - c0.
template <class T>
SS_INLINE void act_impl(const Tile& t, const T* x, const T* r, const T* a, const T* b, Act act,
                        T alpha, T* y) {
  for (int n = 0; n < t.N; ++n)
    for (int c = t.c0; c < t.c1; ++c) {
      const int64_t o = t.at(n, c);
      T* q = y + o;
      preact_plane(x + o, r ? r + o : nullptr, a[c - t.c0], b[c - t.c0], t.HW, q);
      if (act == Act::ReLU) {
#pragma omp simd
        for (int i = 0; i < t.HW; ++i) q[i] = q[i] > T(0) ? q[i] : T(0);
      } else if (act == Act::CELU) {
        for (int i = 0; i < t.HW; ++i) q[i] = q[i] > T(0) ? q[i] : alpha * std::expm1(q[i] / alpha);
      }
    }
}

// da = dy * act'(a), a recomputed exactly as act_impl computes it (CELU) or read off the
// output (ReLU).
template <class T>
SS_INLINE void act_grad_impl(const Tile& t, const T* x, const T* dy, const T* r, const T* y,
                             const T* a, const T* b, Act act, T alpha, T* da) {
  for (int n = 0; n < t.N; ++n)
    for (int c = t.c0; c < t.c1; ++c) {
      const int64_t o = t.at(n, c);
      const T* g = dy + o;
      T* d = da + o;
      if (act == Act::ReLU) {
        const T* yp = y + o;
#pragma omp simd
        for (int i = 0; i < t.HW; ++i) d[i] = yp[i] > T(0) ? g[i] : T(0);
      } else if (act == Act::CELU) {
        preact_plane(x + o, r ? r + o : nullptr, a[c - t.c0], b[c - t.c0], t.HW, d);
        for (int i = 0; i < t.HW; ++i) d[i] = d[i] > T(0) ? g[i] : g[i] * std::exp(d[i] / alpha);
      } else {
        std::copy(g, g + t.HW, d);
      }
    }
}

#define SS_BN_ACT_KERNELS(T)                                                                      \
  SS_BN_CLONES void tile_act(const Tile& t, const T* x, const T* r, const T* a, const T* b,       \
                             Act act, T alpha, T* y) {                                            \
    act_impl(t, x, r, a, b, act, alpha, y);                                                       \
  }                                                                                               \
  SS_BN_CLONES void tile_act_grad(const Tile& t, const T* x, const T* dy, const T* r, const T* y, \
                                  const T* a, const T* b, Act act, T alpha, T* da) {              \
    act_grad_impl(t, x, dy, r, y, a, b, act, alpha, da);                                          \
  }
SS_BN_ACT_KERNELS(float)
SS_BN_ACT_KERNELS(double)
#undef SS_BN_ACT_KERNELS

}  // namespace

template <class T>
void bn_act_fwd(const T* x, const T* residual, int N, int C, int HW, const T* gamma,
                const T* beta, bool training, T eps, T momentum, T* running_mean, T* running_var,
                Act act, T alpha, T* y, T* save_mean, T* save_invstd, T* coef) {
  if (C <= 0) return;
  T* scale = coef;
  T* shift = coef + C;
  if (training) {
    const int cb = bn_tile_channels(N, C, HW, (residual ? 3 : 2) * int64_t(sizeof(T)));
    const int tiles = (C + cb - 1) / cb;
#pragma omp parallel for schedule(static)
    for (int ti = 0; ti < tiles; ++ti) {
      const Tile t{N, C, HW, ti * cb, std::min(C, (ti + 1) * cb)};
      bn_train_stats(x, N, C, HW, t.c0, t.c1, gamma, beta, eps, momentum, running_mean,
                     running_var, save_mean, save_invstd, scale + t.c0, shift + t.c0);
      tile_act(t, x, residual, scale + t.c0, shift + t.c0, act, alpha, y);
    }
    return;
  }
  bn_eval_coefs(C, gamma, beta, running_mean, running_var, eps, scale, shift);
  for_eval_blocks(N, C, HW, [&](const Tile& t, int64_t o, int c0) {
    tile_act(t, x + o, residual ? residual + o : nullptr, scale + c0, shift + c0, act, alpha,
             y + o);
  });
}

template <class T>
void bn_act_bwd(const T* x, const T* dy, const T* residual, const T* y, int N, int C, int HW,
                const T* gamma, const T* save_mean, const T* save_invstd, const T* coef,
                bool training, Act act, T alpha, T* dx, T* dgamma, T* dbeta, T* dresidual) {
  if (C <= 0) return;
  const T* scale = coef;
  const T* shift = coef + C;
  // Without an activation or a residual gradient, da is dy itself: no first pass.
  const bool own_da = act != Act::None || dresidual;
  T* da = dresidual ? dresidual : dx;
  const int64_t ops = (act == Act::ReLU || (act == Act::CELU && residual)) ? 4 : 3;
  const int cb = bn_tile_channels(N, C, HW, (ops + (dresidual ? 1 : 0)) * int64_t(sizeof(T)));
  const int tiles = (C + cb - 1) / cb;
#pragma omp parallel for schedule(static)
  for (int ti = 0; ti < tiles; ++ti) {
    const Tile t{N, C, HW, ti * cb, std::min(C, (ti + 1) * cb)};
    if (own_da)
      tile_act_grad(t, x, dy, residual, y, scale + t.c0, shift + t.c0, act, alpha, da);
    bn_bwd_channels(x, own_da ? static_cast<const T*>(da) : dy, N, C, HW, t.c0, t.c1, gamma,
                    save_mean, save_invstd, training, dx, dgamma, dbeta);
  }
}

#define INST(T)                                                                                 \
  template void bn_act_fwd<T>(const T*, const T*, int, int, int, const T*, const T*, bool, T, T, \
                              T*, T*, Act, T, T*, T*, T*, T*);                                  \
  template void bn_act_bwd<T>(const T*, const T*, const T*, const T*, int, int, int, const T*,  \
                              const T*, const T*, const T*, bool, Act, T, T*, T*, T*, T*);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
