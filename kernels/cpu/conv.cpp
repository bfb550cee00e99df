// Convolution as im2col + GEMM: the reference for double (gradient checks) and the fp32
// path where oneDNN is absent or declines (conv_dnnl.cpp handles fp32 otherwise). Images
// are processed in groups whose column buffer stays under a cache-sized budget; a group's
// GEMM covers all its images at once (wide N dimension), which keeps OpenBLAS efficient on
// the small late-stage feature maps, while big maps go one image at a time with no layout
// copies.
#include "ss/kernels/conv.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "instantiate.h"
#include "ss/kernels/gemm.h"

namespace ss::cpu {
#ifdef SS_WITH_DNNL
namespace detail {  // conv_dnnl.cpp: fp32 on oneDNN; false where it declines
bool dnnl_conv_fwd(const ConvGeom& g, const float* x, const float* w, float* y);
bool dnnl_conv_bwd_data(const ConvGeom& g, const float* dy, const float* w, float* dx);
bool dnnl_conv_bwd_filter(const ConvGeom& g, const float* x, const float* dy, float* dw);
}  // namespace detail
#endif
namespace {

// Column buffer budget in elements (8 MB of float): cache-sized, and small enough that a
// big feature map runs one image at a time, whose GEMM then reads/writes NCHW directly.
constexpr int64_t kColBudget = int64_t(2) << 20;

bool is_pointwise(const ConvGeom& g) {
  return g.R == 1 && g.S == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0;
}

int group_size(const ConvGeom& g) {
  int64_t per_image = int64_t(g.C) * g.R * g.S * g.P() * g.Q();
  return int(std::clamp<int64_t>(kColBudget / std::max<int64_t>(per_image, 1), 1, g.N));
}

// Uninitialised scratch (std::vector would zero it on every call).
template <class T>
std::unique_ptr<T[]> scratch(int64_t n) {
  return std::unique_ptr<T[]>(new T[size_t(std::max<int64_t>(n, 1))]);
}

// Output columns q whose input column w = q*stride + w0 lies inside [0, W): [lo, hi).
struct QRange {
  int lo, hi;
};
QRange valid_q(int Q, int W, int stride, int w0) {
  auto ceil_div = [](int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  const int lo = std::clamp(ceil_div(-w0, stride), 0, Q);
  const int hi = std::clamp(ceil_div(W - w0, stride), lo, Q);
  return {lo, hi};
}

// col[(c,r,s), (b,p,q)] for images n0..n0+nb-1; row length nb*P*Q. Borders are zeroed,
// the interior copied without per-element bounds checks (memcpy for stride 1).
template <class T>
void im2col(const ConvGeom& g, const T* x, int n0, int nb, T* col) {
  const int P = g.P(), Q = g.Q();
  const int64_t PQ = int64_t(P) * Q, row = nb * PQ;
  const int rows = g.C * g.R * g.S;
#pragma omp parallel for schedule(static)
  for (int rowi = 0; rowi < rows; ++rowi) {
    const int c = rowi / (g.R * g.S), r = (rowi / g.S) % g.R, s = rowi % g.S;
    const int w0 = s * g.dil_w - g.pad_w;
    const QRange qr = valid_q(Q, g.W, g.stride_w, w0);
    for (int b = 0; b < nb; ++b) {
      const T* xp = x + (int64_t(n0 + b) * g.C + c) * g.H * g.W;
      T* out = col + rowi * row + b * PQ;
      for (int p = 0; p < P; ++p) {
        const int h = p * g.stride_h - g.pad_h + r * g.dil_h;
        T* o = out + int64_t(p) * Q;
        if (h < 0 || h >= g.H) {
          std::fill(o, o + Q, T(0));
          continue;
        }
        const T* xr = xp + int64_t(h) * g.W;
        std::fill(o, o + qr.lo, T(0));
        if (g.stride_w == 1) {
          std::memcpy(o + qr.lo, xr + qr.lo + w0, size_t(qr.hi - qr.lo) * sizeof(T));
        } else {
          for (int q = qr.lo; q < qr.hi; ++q) o[q] = xr[q * g.stride_w + w0];
        }
        std::fill(o + qr.hi, o + Q, T(0));
      }
    }
  }
}

// Scatter-add the column buffer back into dx (which the caller zeroed). Parallel over
// channels: different channels never touch the same dx elements.
template <class T>
void col2im(const ConvGeom& g, const T* col, int n0, int nb, T* dx) {
  const int P = g.P(), Q = g.Q();
  const int64_t PQ = int64_t(P) * Q, row = nb * PQ;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < g.C; ++c) {
    for (int r = 0; r < g.R; ++r)
      for (int s = 0; s < g.S; ++s) {
        const int64_t rowi = (int64_t(c) * g.R + r) * g.S + s;
        const int w0 = s * g.dil_w - g.pad_w;
        const QRange qr = valid_q(Q, g.W, g.stride_w, w0);
        for (int b = 0; b < nb; ++b) {
          T* xp = dx + (int64_t(n0 + b) * g.C + c) * g.H * g.W;
          const T* in = col + rowi * row + b * PQ;
          for (int p = 0; p < P; ++p) {
            const int h = p * g.stride_h - g.pad_h + r * g.dil_h;
            if (h < 0 || h >= g.H) continue;
            T* xr = xp + int64_t(h) * g.W;
            const T* ip = in + int64_t(p) * Q;
            if (g.stride_w == 1) {
#pragma omp simd
              for (int q = qr.lo; q < qr.hi; ++q) xr[q + w0] += ip[q];
            } else {
              for (int q = qr.lo; q < qr.hi; ++q) xr[q * g.stride_w + w0] += ip[q];
            }
          }
        }
      }
  }
}

// [K, nb*PQ] (GEMM layout) <-> [nb, K, PQ] (NCHW).
template <class T>
void kmajor_to_nchw(const T* src, int K, int nb, int64_t PQ, T* dst) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < nb; ++b)
    for (int k = 0; k < K; ++k)
      std::memcpy(dst + (int64_t(b) * K + k) * PQ, src + (int64_t(k) * nb + b) * PQ,
                  PQ * sizeof(T));
}
template <class T>
void nchw_to_kmajor(const T* src, int K, int nb, int64_t PQ, T* dst) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < nb; ++b)
    for (int k = 0; k < K; ++k)
      std::memcpy(dst + (int64_t(k) * nb + b) * PQ, src + (int64_t(b) * K + k) * PQ,
                  PQ * sizeof(T));
}

}  // namespace

template <class T>
void conv2d_fwd(const ConvGeom& g, const T* x, const T* w, T* y) {
#ifdef SS_WITH_DNNL
  if constexpr (std::is_same_v<T, float>)
    if (detail::dnnl_conv_fwd(g, x, w, y)) return;
#endif
  const int64_t PQ = int64_t(g.P()) * g.Q();
  const int CRS = g.C * g.R * g.S;
  if (is_pointwise(g)) {
    for (int n = 0; n < g.N; ++n)
      gemm<T>(false, false, g.K, int(PQ), g.C, T(1), w, g.C, x + int64_t(n) * g.C * PQ, int(PQ),
              T(0), y + int64_t(n) * g.K * PQ, int(PQ));
    return;
  }
  // One image per group: the GEMM writes its [K, PQ] result straight into y (NCHW).
  // Several images per group (small maps): [K, nb*PQ] in scratch, then permuted.
  const int G = group_size(g);
  auto col = scratch<T>(int64_t(CRS) * G * PQ);
  auto out = scratch<T>(G > 1 ? int64_t(g.K) * G * PQ : 0);
  for (int n0 = 0; n0 < g.N; n0 += G) {
    const int nb = std::min(G, g.N - n0);
    T* yp = y + int64_t(n0) * g.K * PQ;
    im2col(g, x, n0, nb, col.get());
    gemm<T>(false, false, g.K, int(nb * PQ), CRS, T(1), w, CRS, col.get(), int(nb * PQ), T(0),
            nb == 1 ? yp : out.get(), int(nb * PQ));
    if (nb > 1) kmajor_to_nchw(out.get(), g.K, nb, PQ, yp);
  }
}

template <class T>
void conv2d_bwd_data(const ConvGeom& g, const T* dy, const T* w, T* dx) {
#ifdef SS_WITH_DNNL
  if constexpr (std::is_same_v<T, float>)
    if (detail::dnnl_conv_bwd_data(g, dy, w, dx)) return;
#endif
  const int64_t PQ = int64_t(g.P()) * g.Q();
  const int CRS = g.C * g.R * g.S;
  if (is_pointwise(g)) {
    for (int n = 0; n < g.N; ++n)
      gemm<T>(true, false, g.C, int(PQ), g.K, T(1), w, g.C, dy + int64_t(n) * g.K * PQ, int(PQ),
              T(0), dx + int64_t(n) * g.C * PQ, int(PQ));
    return;
  }
  std::fill(dx, dx + int64_t(g.N) * g.C * g.H * g.W, T(0));
  const int G = group_size(g);
  auto col = scratch<T>(int64_t(CRS) * G * PQ);
  auto dyk = scratch<T>(G > 1 ? int64_t(g.K) * G * PQ : 0);
  for (int n0 = 0; n0 < g.N; n0 += G) {
    const int nb = std::min(G, g.N - n0);
    const T* dyp = dy + int64_t(n0) * g.K * PQ;  // one image: already [K, PQ]
    if (nb > 1) nchw_to_kmajor(dyp, g.K, nb, PQ, dyk.get());
    gemm<T>(true, false, CRS, int(nb * PQ), g.K, T(1), w, CRS, nb > 1 ? dyk.get() : dyp,
            int(nb * PQ), T(0), col.get(), int(nb * PQ));
    col2im(g, col.get(), n0, nb, dx);
  }
}

template <class T>
void conv2d_bwd_filter(const ConvGeom& g, const T* x, const T* dy, T* dw) {
#ifdef SS_WITH_DNNL
  if constexpr (std::is_same_v<T, float>)
    if (detail::dnnl_conv_bwd_filter(g, x, dy, dw)) return;
#endif
  const int64_t PQ = int64_t(g.P()) * g.Q();
  const int CRS = g.C * g.R * g.S;
  if (is_pointwise(g)) {
    for (int n = 0; n < g.N; ++n)
      gemm<T>(false, true, g.K, g.C, int(PQ), T(1), dy + int64_t(n) * g.K * PQ, int(PQ),
              x + int64_t(n) * g.C * PQ, int(PQ), n == 0 ? T(0) : T(1), dw, g.C);
    if (g.N == 0) std::fill(dw, dw + int64_t(g.K) * g.C, T(0));
    return;
  }
  const int G = group_size(g);
  auto col = scratch<T>(int64_t(CRS) * G * PQ);
  auto dyk = scratch<T>(G > 1 ? int64_t(g.K) * G * PQ : 0);
  std::fill(dw, dw + int64_t(g.K) * CRS, T(0));
  for (int n0 = 0; n0 < g.N; n0 += G) {
    const int nb = std::min(G, g.N - n0);
    const T* dyp = dy + int64_t(n0) * g.K * PQ;  // one image: already [K, PQ]
    im2col(g, x, n0, nb, col.get());
    if (nb > 1) nchw_to_kmajor(dyp, g.K, nb, PQ, dyk.get());
    gemm<T>(false, true, g.K, CRS, int(nb * PQ), T(1), nb > 1 ? dyk.get() : dyp, int(nb * PQ),
            col.get(), int(nb * PQ), T(1), dw, CRS);
  }
}

#define INST(T)                                                                   \
  template void conv2d_fwd<T>(const ConvGeom&, const T*, const T*, T*);          \
  template void conv2d_bwd_data<T>(const ConvGeom&, const T*, const T*, T*);     \
  template void conv2d_bwd_filter<T>(const ConvGeom&, const T*, const T*, T*);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
