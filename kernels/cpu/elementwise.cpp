// Elementwise arithmetic, channel bias, strided copies and rot90 on the CPU.
#include "ss/kernels/elementwise.h"

#include <cstring>

#include "instantiate.h"

namespace ss::cpu {

template <class T> void fill(T* y, int64_t n, T v) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = v;
}
template <class T> void add(const T* a, const T* b, T* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}
template <class T> void sub(const T* a, const T* b, T* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] - b[i];
}
template <class T> void mul(const T* a, const T* b, T* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
}
template <class T> void scale(const T* x, T s, T* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = s * x[i];
}
template <class T> void axpy(T a, const T* x, T* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

template <class T> void bias_add(T* y, const T* bias, int64_t N, int C, int64_t inner) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c) {
      T* p = y + (n * C + c) * inner;
      const T b = bias[c];
      for (int64_t i = 0; i < inner; ++i) p[i] += b;
    }
}

template <class T> void bias_grad(const T* dy, int64_t N, int C, int64_t inner, T* db) {
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    double s = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* p = dy + (n * C + c) * inner;
      for (int64_t i = 0; i < inner; ++i) s += p[i];
    }
    db[c] = T(s);
  }
}

template <class T> void copy_strided(const StridedCopy& d, const T* src, T* dst) {
  int64_t total = 1;
  for (int i = 0; i < d.ndim; ++i) total *= d.shape[i];
  if (total == 0) return;
  // Innermost dim is walked with a stride loop; outer index decoded once per row.
  const int last = d.ndim - 1;
  const int64_t inner = d.ndim > 0 ? d.shape[last] : 1;
  const int64_t rows = total / inner;
#pragma omp parallel for schedule(static) if (total > 32768)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t rem = r, so = 0, doff = 0;
    for (int i = last - 1; i >= 0; --i) {
      const int64_t idx = rem % d.shape[i];
      rem /= d.shape[i];
      so += idx * d.src_stride[i];
      doff += idx * d.dst_stride[i];
    }
    const int64_t ss = d.ndim > 0 ? d.src_stride[last] : 1;
    const int64_t ds = d.ndim > 0 ? d.dst_stride[last] : 1;
    if (ss == 1 && ds == 1) {
      std::memcpy(dst + doff, src + so, inner * sizeof(T));
    } else {
      for (int64_t i = 0; i < inner; ++i) dst[doff + i * ds] = src[so + i * ss];
    }
  }
}

template <class T> void rot90(const T* x, int64_t NC, int H, int W, int k, T* y) {
  k = ((k % 4) + 4) % 4;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < NC; ++p) {
    const T* xp = x + p * H * W;
    T* yp = y + p * H * W;
    if (k == 0) {
      std::memcpy(yp, xp, sizeof(T) * H * W);
    } else if (k == 1) {  // y is W×H: y[i][j] = x[j][W-1-i]
      for (int i = 0; i < W; ++i)
        for (int j = 0; j < H; ++j) yp[i * H + j] = xp[j * W + (W - 1 - i)];
    } else if (k == 2) {
      for (int i = 0; i < H; ++i)
        for (int j = 0; j < W; ++j) yp[i * W + j] = xp[(H - 1 - i) * W + (W - 1 - j)];
    } else {  // y[i][j] = x[H-1-j][i]
      for (int i = 0; i < W; ++i)
        for (int j = 0; j < H; ++j) yp[i * H + j] = xp[(H - 1 - j) * W + i];
    }
  }
}

#define INST(T)                                                          \
  template void fill<T>(T*, int64_t, T);                                 \
  template void add<T>(const T*, const T*, T*, int64_t);                 \
  template void sub<T>(const T*, const T*, T*, int64_t);                 \
  template void mul<T>(const T*, const T*, T*, int64_t);                 \
  template void scale<T>(const T*, T, T*, int64_t);                      \
  template void axpy<T>(T, const T*, T*, int64_t);                       \
  template void bias_add<T>(T*, const T*, int64_t, int, int64_t);        \
  template void bias_grad<T>(const T*, int64_t, int, int64_t, T*);       \
  template void copy_strided<T>(const StridedCopy&, const T*, T*);       \
  template void rot90<T>(const T*, int64_t, int, int, int, T*);
SS_INSTANTIATE_FLOATS(INST)
template void copy_strided<uint8_t>(const StridedCopy&, const uint8_t*, uint8_t*);
template void copy_strided<uint16_t>(const StridedCopy&, const uint16_t*, uint16_t*);
template void copy_strided<int32_t>(const StridedCopy&, const int32_t*, int32_t*);
template void copy_strided<int64_t>(const StridedCopy&, const int64_t*, int64_t*);
}  // namespace ss::cpu
