// Log-softmax, cross-entropy, masked MSE/L1 and row L2-normalisation.
//
// Row-wise ops pick their parallel shape from the layout: for inner == 1 each row's C
// values are contiguous and a warp shares the row; for inner > 1 (per-pixel logits) the C
// values are `inner` apart and one thread per row keeps neighbouring threads on
// neighbouring pixels, which is what makes the loads coalesce. Sums are in double with a
// fixed order, and the expressions mirror kernels/cpu/loss.cpp.
#include <cmath>

#include "device_util.cuh"
#include "ss/kernels/loss.h"

namespace ss::cuda {
namespace {

// G lanes cooperate on one row: G == 32 (a warp) or G == 1 (a thread).
template <int G>
__device__ __forceinline__ float group_max(float v) {
  if constexpr (G == 32) return dev::warp_max(v);
  return v;
}
template <int G>
__device__ __forceinline__ double group_sum(double v) {
  if constexpr (G == 32) return dev::warp_sum(v);
  return v;
}

// Rows are visited by whole groups, so the loop condition is uniform across a warp and
// the shuffles inside are safe.
#define SS_FOR_ROWS(G, rows)                                                         \
  const int lane = (G == 1) ? 0 : int(threadIdx.x & 31);                             \
  const int64_t ngroups = int64_t(gridDim.x) * blockDim.x / G;                       \
  for (int64_t r = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / G; r < (rows); \
       r += ngroups)

template <int G>
__global__ void log_softmax_fwd_kernel(const float* __restrict__ x, int64_t outer, int C,
                                       int64_t inner, float* __restrict__ y) {
  SS_FOR_ROWS(G, outer * inner) {
    const int64_t o = r / inner, i = r - o * inner;
    const float* xp = x + o * C * inner + i;
    float* yp = y + o * C * inner + i;
    float m = -INFINITY;
    for (int c = lane; c < C; c += G) m = fmaxf(m, xp[c * inner]);
    m = group_max<G>(m);
    double s = 0.0;
    for (int c = lane; c < C; c += G) s += exp(double(xp[c * inner] - m));
    s = group_sum<G>(s);
    const float lse = float(double(m) + log(s));
    for (int c = lane; c < C; c += G) yp[c * inner] = xp[c * inner] - lse;
  }
}

template <int G>
__global__ void log_softmax_bwd_kernel(const float* __restrict__ y, const float* __restrict__ dy,
                                       int64_t outer, int C, int64_t inner,
                                       float* __restrict__ dx) {
  SS_FOR_ROWS(G, outer * inner) {
    const int64_t o = r / inner, i = r - o * inner, base = o * C * inner + i;
    double s = 0.0;
    for (int c = lane; c < C; c += G) s += dy[base + c * inner];
    s = group_sum<G>(s);
    for (int c = lane; c < C; c += G) {
      const int64_t k = base + c * inner;
      dx[k] = float(__dsub_rn(double(dy[k]), __dmul_rn(exp(double(y[k])), s)));
    }
  }
}

__global__ void l2norm_fwd_kernel(const float* __restrict__ x, int64_t rows, int D, float eps,
                                  float* __restrict__ y, float* __restrict__ norm) {
  SS_FOR_ROWS(32, rows) {
    const float* xp = x + r * D;
    float* yp = y + r * D;
    double s = 0.0;
    for (int d = lane; d < D; d += 32) s += double(xp[d]) * xp[d];
    s = dev::warp_sum(s);
    const float nr = float(sqrt(s));
    if (lane == 0) norm[r] = nr;
    const float den = nr < eps ? eps : nr;  // std::max(nr, eps), NaN behaviour included
    for (int d = lane; d < D; d += 32) yp[d] = xp[d] / den;
  }
}

__global__ void l2norm_bwd_kernel(const float* __restrict__ y, const float* __restrict__ norm,
                                  const float* __restrict__ dy, int64_t rows, int D, float eps,
                                  float* __restrict__ dx) {
  SS_FOR_ROWS(32, rows) {
    const float* yp = y + r * D;
    const float* gp = dy + r * D;
    float* dp = dx + r * D;
    const float nr = norm[r];
    if (nr <= eps) {  // below eps the map is x/eps: linear
      for (int d = lane; d < D; d += 32) dp[d] = gp[d] / eps;
      continue;
    }
    double dot = 0.0;
    for (int d = lane; d < D; d += 32) dot += double(yp[d]) * gp[d];
    dot = dev::warp_sum(dot);
    for (int d = lane; d < D; d += 32)
      dp[d] = float(__dsub_rn(double(gp[d]), __dmul_rn(double(yp[d]), dot)) / double(nr));
  }
}

#undef SS_FOR_ROWS

// Grid for `rows` groups of G lanes.
unsigned row_grid(int64_t rows, int G) { return grid_for(rows * G); }

struct XentTerm {
  const float* logp;
  const int64_t* target;
  int64_t inner, ignore;
  int C;
  __device__ void operator()(int64_t r, double* acc) const {
    const int64_t t = target[r];
    if (t == ignore) return;
    acc[1] += 1.0;
    // The framework validates targets; a bad one still must not read out of bounds, and
    // NaN makes it visible in the loss.
    if (t < 0 || t >= C) {
      acc[0] += NAN;
      return;
    }
    const int64_t o = r / inner, i = r - o * inner;
    acc[0] -= logp[(o * C + t) * inner + i];
  }
};

// The backward scale g / count, read from device memory by every thread (two cached
// loads), so no host read sits between the forward and backward. Both are floats and count
// is an exact integer, so the f32 division equals the host's double division rounded once.
__device__ __forceinline__ float mean_grad(const float* g, const float* stats) {
  const float c = stats[1];
  return c > 0.f ? __fdiv_rn(*g, c) : 0.f;
}

__global__ void loss_mean_kernel(const float* stats, float* y) {
  y[0] = stats[1] > 0.f ? __fdiv_rn(stats[0], stats[1]) : 0.f;
}

struct XentBwd {
  const float* logp;
  const int64_t* target;
  int64_t inner, ignore;
  int C;
  const float *g, *stats;
  float* dl;
  __device__ void operator()(int64_t k) const {
    const int64_t ci = int64_t(C) * inner;
    const int64_t o = k / ci, rem = k - o * ci, c = rem / inner, i = rem - c * inner;
    const int64_t t = target[o * inner + i];
    dl[k] = t == ignore ? 0.f : mean_grad(g, stats) * (expf(logp[k]) - (c == t ? 1.f : 0.f));
  }
};

struct Top1Term {
  const float* s;
  const int64_t* labels;
  int C;
  __device__ void operator()(int64_t r, double* acc) const {
    const float* row = s + r * C;
    int best = 0;
    for (int c = 1; c < C; ++c)
      if (row[c] > row[best]) best = c;
    if (best == labels[r]) acc[0] += 1.0;
    acc[1] += 1.0;
  }
};

struct MseTerm {
  const float *a, *b, *mask;
  __device__ void operator()(int64_t i, double* acc) const {
    if (mask && mask[i] == 0.f) return;
    const double d = double(a[i]) - double(b[i]);
    acc[0] += d * d;
    acc[1] += 1.0;
  }
};
struct L1Term {
  const float *a, *b, *mask;
  __device__ void operator()(int64_t i, double* acc) const {
    if (mask && mask[i] == 0.f) return;
    acc[0] += fabs(double(a[i]) - double(b[i]));
    acc[1] += 1.0;
  }
};
struct MseBwd {
  const float *a, *b, *mask, *g, *stats;
  float* da;
  __device__ void operator()(int64_t i) const {
    da[i] = (mask && mask[i] == 0.f) ? 0.f : 2.f * mean_grad(g, stats) * (a[i] - b[i]);
  }
};
// Subgradient 0 at a == b, as PyTorch's sign().
struct L1Bwd {
  const float *a, *b, *mask, *g, *stats;
  float* da;
  __device__ void operator()(int64_t i) const {
    const float d = a[i] - b[i];
    da[i] = (mask && mask[i] == 0.f) ? 0.f : mean_grad(g, stats) * float((d > 0.f) - (d < 0.f));
  }
};

}  // namespace

void log_softmax_fwd(const float* x, int64_t outer, int C, int64_t inner, float* y) {
  const int64_t rows = outer * inner;
  if (rows <= 0 || C <= 0) return;
  cudaStream_t s = stream();
  if (inner == 1)
    log_softmax_fwd_kernel<32><<<row_grid(rows, 32), kThreads, 0, s>>>(x, outer, C, inner, y);
  else
    log_softmax_fwd_kernel<1><<<row_grid(rows, 1), kThreads, 0, s>>>(x, outer, C, inner, y);
  CUDA_CHECK_LAUNCH();
}

void log_softmax_bwd(const float* y, const float* dy, int64_t outer, int C, int64_t inner,
                     float* dx) {
  const int64_t rows = outer * inner;
  if (rows <= 0 || C <= 0) return;
  cudaStream_t s = stream();
  if (inner == 1)
    log_softmax_bwd_kernel<32><<<row_grid(rows, 32), kThreads, 0, s>>>(y, dy, outer, C, inner, dx);
  else
    log_softmax_bwd_kernel<1><<<row_grid(rows, 1), kThreads, 0, s>>>(y, dy, outer, C, inner, dx);
  CUDA_CHECK_LAUNCH();
}

void xent_fwd(const float* logits, const int64_t* target, int64_t outer, int C, int64_t inner,
              int64_t ignore_index, float* logp, float* out) {
  log_softmax_fwd(logits, outer, C, inner, logp);
  dev::reduce_to<2>(XentTerm{logp, target, inner, ignore_index, C},
                    std::max<int64_t>(outer * inner, 0), out);
}

void loss_mean(const float* stats, float* y) {
  loss_mean_kernel<<<1, 1, 0, stream()>>>(stats, y);
  CUDA_CHECK_LAUNCH();
}

void xent_bwd(const float* logp, const int64_t* target, int64_t outer, int C, int64_t inner,
              int64_t ignore_index, const float* g, const float* stats, float* dlogits) {
  dev::launch_each(XentBwd{logp, target, inner, ignore_index, C, g, stats, dlogits},
                   outer * C * inner);
}

void mse_fwd(const float* a, const float* b, const float* mask, int64_t n, float* out) {
  dev::reduce_to<2>(MseTerm{a, b, mask}, std::max<int64_t>(n, 0), out);
}
void mse_bwd(const float* a, const float* b, const float* mask, int64_t n, const float* g,
             const float* stats, float* da) {
  dev::launch_each(MseBwd{a, b, mask, g, stats, da}, n);
}
void l1_fwd(const float* a, const float* b, const float* mask, int64_t n, float* out) {
  dev::reduce_to<2>(L1Term{a, b, mask}, std::max<int64_t>(n, 0), out);
}
void l1_bwd(const float* a, const float* b, const float* mask, int64_t n, const float* g,
            const float* stats, float* da) {
  dev::launch_each(L1Bwd{a, b, mask, g, stats, da}, n);
}

void top1_hits(const float* scores, const int64_t* labels, int64_t rows, int C, float* stats) {
  dev::reduce_to<2>(Top1Term{scores, labels, C}, std::max<int64_t>(rows, 0), stats);
}

void l2norm_fwd(const float* x, int64_t rows, int D, float eps, float* y, float* norm) {
  if (rows <= 0) return;
  l2norm_fwd_kernel<<<row_grid(rows, 32), kThreads, 0, stream()>>>(x, rows, D, eps, y, norm);
  CUDA_CHECK_LAUNCH();
}

void l2norm_bwd(const float* y, const float* norm, const float* dy, int64_t rows, int D,
                float eps, float* dx) {
  if (rows <= 0) return;
  l2norm_bwd_kernel<<<row_grid(rows, 32), kThreads, 0, stream()>>>(y, norm, dy, rows, D, eps, dx);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ss::cuda
