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

#define INST(T)                                                               \
  template void maxpool2_fwd<T>(const T*, int64_t, int, int, T*);             \
  template void maxpool2_bwd<T>(const T*, const T*, int64_t, int, int, T*);   \
  template void avgpool_global_fwd<T>(const T*, int64_t, int, T*);            \
  template void avgpool_global_bwd<T>(const T*, int64_t, int, T*);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
