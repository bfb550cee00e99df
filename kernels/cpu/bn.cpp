// Batch norm (NCHW), parallel over tiles of consecutive channels; statistics accumulate in
// double so fp32 results match a two-pass reference closely.
//
// Memory order: a tile's data for one image, x[n, c0:c1, :], is contiguous, so each pass
// walks the tile image by image (long sequential runs the prefetcher follows, even for 8x8
// planes, where a per-channel walk would hop 256-byte pieces far apart). Tiles are sized
// so a tile's operands stay in L2 between the passes (statistics, then the output).
//
// The per-tile loops are vectorised (omp simd; double accumulators) and compiled for
// AVX-512 / AVX2 / baseline with runtime dispatch (target_clones), so the library still
// runs on any x86-64-v2 machine.
#include "ss/kernels/bn.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "bn_tile.h"
#include "instantiate.h"

namespace ss::cpu {
namespace {

constexpr int64_t kTileBytes = int64_t(512) << 10;  // operands of one tile, kept in L2

// Channels per tile: operand bytes under kTileBytes, and enough tiles for every thread.
int tile_channels(int N, int C, int HW, int64_t bytes_per_elem) {
  const int64_t per_channel = std::max<int64_t>(int64_t(N) * HW * bytes_per_elem, 1);
  int cb = int(std::clamp<int64_t>(kTileBytes / per_channel, 1, C));
  const int nt = std::max(1, omp_get_max_threads());
  return std::max(1, std::min(cb, (C + nt - 1) / nt));
}

// The loop bodies over a Tile (bn_tile.h) are templates inlined into plain per-type
// wrappers, because target_clones does not take templates.

// s[c] = sum x
template <class T>
SS_INLINE void sum_impl(const Tile& t, const T* x, double* s) {
  for (int n = 0; n < t.N; ++n)
    for (int c = t.c0; c < t.c1; ++c) {
      const T* p = x + t.at(n, c);
      double a = 0;
#pragma omp simd reduction(+ : a)
      for (int i = 0; i < t.HW; ++i) a += double(p[i]);
      s[c - t.c0] += a;
    }
}
// s[c] = sum (x - mean[c])^2
template <class T>
SS_INLINE void sqdev_impl(const Tile& t, const T* x, const double* mean, double* s) {
  for (int n = 0; n < t.N; ++n)
    for (int c = t.c0; c < t.c1; ++c) {
      const T* p = x + t.at(n, c);
      const double m = mean[c - t.c0];
      double a = 0;
#pragma omp simd reduction(+ : a)
      for (int i = 0; i < t.HW; ++i) {
        const double d = double(p[i]) - m;
        a += d * d;
      }
      s[c - t.c0] += a;
    }
}
// y = x * a[c] + b[c]
template <class T>
SS_INLINE void affine_impl(const Tile& t, const T* x, const T* a, const T* b, T* y) {
  for (int n = 0; n < t.N; ++n)
    for (int c = t.c0; c < t.c1; ++c) {
      const T* p = x + t.at(n, c);
      T* q = y + t.at(n, c);
      const T ac = a[c - t.c0], bc = b[c - t.c0];
#pragma omp simd
      for (int i = 0; i < t.HW; ++i) q[i] = p[i] * ac + bc;
    }
}
// sdy[c] = sum dy, sdyx[c] = sum dy * (x - mean[c])
template <class T>
SS_INLINE void dy_sums_impl(const Tile& t, const T* x, const T* dy, const double* mean, double* sdy,
                            double* sdyx) {
  for (int n = 0; n < t.N; ++n)
    for (int c = t.c0; c < t.c1; ++c) {
      const T* xp = x + t.at(n, c);
      const T* gp = dy + t.at(n, c);
      const double m = mean[c - t.c0];
      double a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
      for (int i = 0; i < t.HW; ++i) {
        const double g = double(gp[i]);
        a += g;
        b += g * (double(xp[i]) - m);
      }
      sdy[c - t.c0] += a;
      sdyx[c - t.c0] += b;
    }
}
// training: dx = k[c] * (dy - mdy[c] - (x - mean[c]) * mdyx[c]); eval: dx = k[c] * dy
template <class T>
SS_INLINE void dx_impl(const Tile& t, const T* x, const T* dy, const double* mean, const double* k,
                       const double* mdy, const double* mdyx, bool training, T* dx) {
  for (int n = 0; n < t.N; ++n)
    for (int c = t.c0; c < t.c1; ++c) {
      const T* xp = x + t.at(n, c);
      const T* gp = dy + t.at(n, c);
      T* dp = dx + t.at(n, c);
      const int j = c - t.c0;
      const double kc = k[j], m = mean[j], a = mdy[j], b = mdyx[j];
      if (training) {
#pragma omp simd
        for (int i = 0; i < t.HW; ++i)
          dp[i] = T(kc * (double(gp[i]) - a - (double(xp[i]) - m) * b));
      } else {
#pragma omp simd
        for (int i = 0; i < t.HW; ++i) dp[i] = T(kc * double(gp[i]));
      }
    }
}

#define SS_BN_KERNELS(T)                                                                           \
  SS_BN_CLONES void tile_sum(const Tile& t, const T* x, double* s) { sum_impl(t, x, s); }          \
  SS_BN_CLONES void tile_sqdev(const Tile& t, const T* x, const double* mean, double* s) {         \
    sqdev_impl(t, x, mean, s);                                                                     \
  }                                                                                                \
  SS_BN_CLONES void tile_affine(const Tile& t, const T* x, const T* a, const T* b, T* y) {         \
    affine_impl(t, x, a, b, y);                                                                    \
  }                                                                                                \
  SS_BN_CLONES void tile_dy_sums(const Tile& t, const T* x, const T* dy, const double* mean,       \
                                 double* sdy, double* sdyx) {                                      \
    dy_sums_impl(t, x, dy, mean, sdy, sdyx);                                                       \
  }                                                                                                \
  SS_BN_CLONES void tile_dx(const Tile& t, const T* x, const T* dy, const double* mean,            \
                            const double* k, const double* mdy, const double* mdyx, bool training, \
                            T* dx) {                                                               \
    dx_impl(t, x, dy, mean, k, mdy, mdyx, training, dx);                                           \
  }
SS_BN_KERNELS(float)
SS_BN_KERNELS(double)
#undef SS_BN_KERNELS

}  // namespace

int bn_tile_channels(int N, int C, int HW, int64_t bytes_per_elem) {
  return tile_channels(N, C, HW, bytes_per_elem);
}

template <class T>
void bn_train_stats(const T* x, int N, int C, int HW, int c0, int c1, const T* gamma,
                    const T* beta, T eps, T momentum, T* running_mean, T* running_var,
                    T* save_mean, T* save_invstd, T* scale, T* shift) {
  const double M = double(N) * HW;
  const Tile t{N, C, HW, c0, c1};
  const int nc = c1 - c0;
  std::vector<double> mean(size_t(nc), 0.0), var(size_t(nc), 0.0);
  tile_sum(t, x, mean.data());
  for (double& m : mean) m /= M;
  tile_sqdev(t, x, mean.data(), var.data());
  for (int j = 0; j < nc; ++j) {
    const int c = c0 + j;
    var[size_t(j)] /= M;
    const double invstd = 1.0 / std::sqrt(var[size_t(j)] + double(eps));
    scale[j] = T(double(gamma[c]) * invstd);
    shift[j] = T(double(beta[c]) - mean[size_t(j)] * scale[j]);
    save_mean[c] = T(mean[size_t(j)]);
    save_invstd[c] = T(invstd);
    if (running_mean) {
      const double v = var[size_t(j)], unbiased = M > 1 ? v * M / (M - 1) : v;
      running_mean[c] =
          T((1 - double(momentum)) * running_mean[c] + double(momentum) * mean[size_t(j)]);
      running_var[c] = T((1 - double(momentum)) * running_var[c] + double(momentum) * unbiased);
    }
  }
}

template <class T>
void bn_eval_coefs(int C, const T* gamma, const T* beta, const T* running_mean,
                   const T* running_var, T eps, T* scale, T* shift) {
  for (int c = 0; c < C; ++c) {
    const double invstd = 1.0 / std::sqrt(double(running_var[c]) + double(eps));
    scale[c] = T(gamma[c] * invstd);
    shift[c] = T(beta[c] - running_mean[c] * double(scale[c]));
  }
}

template <class T>
void bn_bwd_channels(const T* x, const T* dy, int N, int C, int HW, int c0, int c1,
                     const T* gamma, const T* save_mean, const T* save_invstd, bool training,
                     T* dx, T* dgamma, T* dbeta) {
  const double M = double(N) * HW;
  const Tile t{N, C, HW, c0, c1};
  const size_t nc = size_t(c1 - c0);
  std::vector<double> mean(nc), sdy(nc, 0.0), sdyx(nc, 0.0), k(nc), mdy(nc), mdyx(nc);
  for (size_t j = 0; j < nc; ++j) mean[j] = save_mean[c0 + int(j)];
  tile_dy_sums(t, x, dy, mean.data(), sdy.data(), sdyx.data());
  for (size_t j = 0; j < nc; ++j) {
    const int c = c0 + int(j);
    const double invstd = save_invstd[c];
    dbeta[c] = T(sdy[j]);
    dgamma[c] = T(sdyx[j] * invstd);
    k[j] = double(gamma[c]) * invstd;
    mdy[j] = sdy[j] / M;
    mdyx[j] = sdyx[j] * invstd * invstd / M;
  }
  tile_dx(t, x, dy, mean.data(), k.data(), mdy.data(), mdyx.data(), training, dx);
}

template <class T>
void bn_fwd_train(const T* x, int N, int C, int HW, const T* gamma, const T* beta, T eps,
                  T momentum, T* running_mean, T* running_var, T* y, T* save_mean, T* save_invstd) {
  const int cb = tile_channels(N, C, HW, 2 * sizeof(T));  // x and y
  const int tiles = (C + cb - 1) / cb;
#pragma omp parallel for schedule(static)
  for (int ti = 0; ti < tiles; ++ti) {
    const Tile t{N, C, HW, ti * cb, std::min(C, (ti + 1) * cb)};
    std::vector<T> a(size_t(t.c1 - t.c0)), b(size_t(t.c1 - t.c0));
    bn_train_stats(x, N, C, HW, t.c0, t.c1, gamma, beta, eps, momentum, running_mean,
                   running_var, save_mean, save_invstd, a.data(), b.data());
    tile_affine(t, x, a.data(), b.data(), y);
  }
}

template <class T>
void bn_fwd_eval(const T* x, int N, int C, int HW, const T* gamma, const T* beta,
                 const T* running_mean, const T* running_var, T eps, T* y) {
  std::vector<T> a(static_cast<size_t>(C)), b(static_cast<size_t>(C));
  bn_eval_coefs(C, gamma, beta, running_mean, running_var, eps, a.data(), b.data());
  for_eval_blocks(N, C, HW, [&](const Tile& t, int64_t o, int c0) {
    tile_affine(t, x + o, a.data() + c0, b.data() + c0, y + o);  // a, b from the tile's start
  });
}

template <class T>
void bn_bwd(const T* x, const T* dy, int N, int C, int HW, const T* gamma, const T* save_mean,
            const T* save_invstd, bool training, T* dx, T* dgamma, T* dbeta) {
  const int cb = tile_channels(N, C, HW, 3 * sizeof(T));  // x, dy and dx
  const int tiles = (C + cb - 1) / cb;
#pragma omp parallel for schedule(static)
  for (int ti = 0; ti < tiles; ++ti)
    bn_bwd_channels(x, dy, N, C, HW, ti * cb, std::min(C, (ti + 1) * cb), gamma, save_mean,
                    save_invstd, training, dx, dgamma, dbeta);
}

#define INST(T)                                                                                    \
  template void bn_fwd_train<T>(const T*, int, int, int, const T*, const T*, T, T, T*, T*, T*, T*, \
                                T*);                                                               \
  template void bn_fwd_eval<T>(const T*, int, int, int, const T*, const T*, const T*, const T*, T, \
                               T*);                                                                \
  template void bn_bwd<T>(const T*, const T*, int, int, int, const T*, const T*, const T*, bool,   \
                          T*, T*, T*);                                                             \
  template void bn_train_stats<T>(const T*, int, int, int, int, int, const T*, const T*, T, T, T*, \
                                  T*, T*, T*, T*, T*);                                             \
  template void bn_eval_coefs<T>(int, const T*, const T*, const T*, const T*, T, T*, T*);          \
  template void bn_bwd_channels<T>(const T*, const T*, int, int, int, int, int, const T*,          \
                                   const T*, const T*, bool, T*, T*, T*);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
