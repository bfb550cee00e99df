// 2×2/stride-2 max pooling and global average pooling over NCHW planes.
#include "ss/kernels/pool.h"

#include "instantiate.h"

namespace ss::cpu {

template <class T> void maxpool2_fwd(const T* x, int64_t NC, int H, int W, T* y) {
  const int Ho = H / 2, Wo = W / 2;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < NC; ++p) {
    const T* xp = x + p * H * W;
    T* yp = y + p * Ho * Wo;
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        const T* a = xp + (2 * i) * W + 2 * j;
        T m = a[0];
        if (a[1] > m) m = a[1];
        if (a[W] > m) m = a[W];
        if (a[W + 1] > m) m = a[W + 1];
        yp[i * Wo + j] = m;
      }
  }
}

template <class T> void maxpool2_bwd(const T* x, const T* dy, int64_t NC, int H, int W, T* dx) {
  const int Ho = H / 2, Wo = W / 2;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < NC; ++p) {
    const T* xp = x + p * H * W;
    const T* gp = dy + p * Ho * Wo;
    T* dp = dx + p * H * W;
    for (int64_t i = 0; i < int64_t(H) * W; ++i) dp[i] = T(0);
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        const int base = (2 * i) * W + 2 * j;
        const int off[4] = {0, 1, W, W + 1};
        int best = 0;
        for (int k = 1; k < 4; ++k)
          if (xp[base + off[k]] > xp[base + off[best]]) best = k;
        dp[base + off[best]] = gp[i * Wo + j];
      }
  }
}

template <class T> void avgpool_global_fwd(const T* x, int64_t NC, int HW, T* y) {
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < NC; ++p) {
    double s = 0;
    for (int i = 0; i < HW; ++i) s += x[p * HW + i];
    y[p] = T(s / HW);
  }
}

template <class T> void avgpool_global_bwd(const T* dy, int64_t NC, int HW, T* dx) {
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < NC; ++p) {
    const T g = dy[p] / T(HW);
    for (int i = 0; i < HW; ++i) dx[p * HW + i] = g;
  }
}

// The position (0..3, row-major) of the first maximum of channel c's window at a, whose
// corners are off[] apart.
template <class T>
int window_argmax(const T* a, const int64_t* off, int c) {
  int best = 0;
  for (int q = 1; q < 4; ++q)
    if (a[off[q] + c] > a[off[best] + c]) best = q;
  return best;
}

template <class T>
void maxpool2_nhwc_fwd(const T* x, int N, int H, int W, int C, T* y, uint8_t* idx) {
  const int Ho = H / 2, Wo = W / 2;
  const int64_t row = int64_t(W) * C;
  const int64_t off[4] = {0, C, row, row + C};
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < N; ++n)
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        const T* a = x + ((int64_t(n) * H + 2 * i) * W + 2 * j) * C;
        const int64_t o = ((int64_t(n) * Ho + i) * Wo + j) * C;
        for (int c = 0; c < C; ++c) {
          const int best = window_argmax(a, off, c);
          y[o + c] = a[off[best] + c];
          if (idx) idx[o + c] = uint8_t(best);
        }
      }
}

// dx: dy scattered to each window's chosen position (pos(x_offset_of_window, out_offset, c)
// in 0..3, row-major), zero elsewhere.
template <class T, class Pos>
void scatter_windows(const T* dy, int N, int H, int W, int C, T* dx, Pos pos) {
  const int Ho = H / 2, Wo = W / 2;
  const int64_t row = int64_t(W) * C;
  const int64_t off[4] = {0, C, row, row + C};
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; ++n) {
    T* dp = dx + int64_t(n) * H * row;
    for (int64_t k = 0; k < int64_t(H) * row; ++k) dp[k] = T(0);
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        const int64_t base = ((int64_t(n) * H + 2 * i) * W + 2 * j) * C;
        const int64_t o = ((int64_t(n) * Ho + i) * Wo + j) * C;
        for (int c = 0; c < C; ++c) dx[base + off[pos(base, o, c, off)] + c] = dy[o + c];
      }
  }
}

template <class T>
void maxpool2_nhwc_bwd_idx(const uint8_t* idx, const T* dy, int N, int H, int W, int C, T* dx) {
  scatter_windows(dy, N, H, W, C, dx,
                  [idx](int64_t, int64_t o, int c, const int64_t*) { return int(idx[o + c]); });
}

template <class T>
void maxpool2_nhwc_bwd(const T* x, const T* dy, int N, int H, int W, int C, T* dx) {
  scatter_windows(dy, N, H, W, C, dx, [x](int64_t base, int64_t, int c, const int64_t* off) {
    return window_argmax(x + base, off, c);
  });
}

#define INST(T)                                                               \
  template void maxpool2_nhwc_fwd<T>(const T*, int, int, int, int, T*, uint8_t*); \
  template void maxpool2_nhwc_bwd<T>(const T*, const T*, int, int, int, int, T*); \
  template void maxpool2_nhwc_bwd_idx<T>(const uint8_t*, const T*, int, int, int, int, T*); \
  template void maxpool2_fwd<T>(const T*, int64_t, int, int, T*);             \
  template void maxpool2_bwd<T>(const T*, const T*, int64_t, int, int, T*);   \
  template void avgpool_global_fwd<T>(const T*, int64_t, int, T*);            \
  template void avgpool_global_bwd<T>(const T*, int64_t, int, T*);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
