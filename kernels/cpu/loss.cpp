// Log-softmax, cross-entropy with ignore index, masked MSE/L1 and row L2-normalisation.
#include "ss/kernels/loss.h"

#include <algorithm>
#include <cmath>

#include "instantiate.h"

namespace ss::cpu {

template <class T>
void log_softmax_fwd(const T* x, int64_t outer, int C, int64_t inner, T* y) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T* xp = x + o * C * inner + i;
      T* yp = y + o * C * inner + i;
      T m = xp[0];
      for (int c = 1; c < C; ++c) m = std::max(m, xp[c * inner]);
      double s = 0;
      for (int c = 0; c < C; ++c) s += std::exp(double(xp[c * inner] - m));
      const T lse = T(double(m) + std::log(s));
      for (int c = 0; c < C; ++c) yp[c * inner] = xp[c * inner] - lse;
    }
}

template <class T>
void log_softmax_bwd(const T* y, const T* dy, int64_t outer, int C, int64_t inner, T* dx) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * C * inner + i;
      double s = 0;
      for (int c = 0; c < C; ++c) s += dy[base + c * inner];
      for (int c = 0; c < C; ++c)
        dx[base + c * inner] = T(dy[base + c * inner] - std::exp(double(y[base + c * inner])) * s);
    }
}

template <class T>
void xent_fwd(const T* logits, const int64_t* target, int64_t outer, int C, int64_t inner,
              int64_t ignore_index, T* logp, T* out) {
  log_softmax_fwd(logits, outer, C, inner, logp);
  double s = 0, cnt = 0;
#pragma omp parallel for collapse(2) reduction(+ : s, cnt) schedule(static)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t t = target[o * inner + i];
      if (t == ignore_index) continue;
      s -= logp[(o * C + t) * inner + i];
      cnt += 1;
    }
  out[0] = T(s);
  out[1] = T(cnt);
}

template <class T>
void xent_bwd(const T* logp, const int64_t* target, int64_t outer, int C, int64_t inner,
              int64_t ignore_index, T g, T* dlogits) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t t = target[o * inner + i];
      for (int c = 0; c < C; ++c) {
        const int64_t k = (o * C + c) * inner + i;
        dlogits[k] = t == ignore_index ? T(0) : g * (std::exp(logp[k]) - (c == t ? T(1) : T(0)));
      }
    }
}

template <class T> void mse_fwd(const T* a, const T* b, const T* mask, int64_t n, T* out) {
  double s = 0, cnt = 0;
#pragma omp parallel for reduction(+ : s, cnt) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    if (mask && mask[i] == T(0)) continue;
    const double d = double(a[i]) - double(b[i]);
    s += d * d;
    cnt += 1;
  }
  out[0] = T(s);
  out[1] = T(cnt);
}
template <class T>
void mse_bwd(const T* a, const T* b, const T* mask, int64_t n, T g, T* da) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    da[i] = (mask && mask[i] == T(0)) ? T(0) : T(2) * g * (a[i] - b[i]);
}
template <class T> void l1_fwd(const T* a, const T* b, const T* mask, int64_t n, T* out) {
  double s = 0, cnt = 0;
#pragma omp parallel for reduction(+ : s, cnt) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    if (mask && mask[i] == T(0)) continue;
    s += std::abs(double(a[i]) - double(b[i]));
    cnt += 1;
  }
  out[0] = T(s);
  out[1] = T(cnt);
}
// Subgradient 0 at a == b, as PyTorch's sign().
template <class T>
void l1_bwd(const T* a, const T* b, const T* mask, int64_t n, T g, T* da) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const T d = a[i] - b[i];
    da[i] = (mask && mask[i] == T(0)) ? T(0) : g * T((d > 0) - (d < 0));
  }
}

template <class T>
void top1_hits(const T* scores, const int64_t* labels, int64_t rows, int C, T* stats) {
  double hits = 0;
#pragma omp parallel for reduction(+ : hits) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* s = scores + r * C;
    int best = 0;
    for (int c = 1; c < C; ++c)
      if (s[c] > s[best]) best = c;
    if (best == labels[r]) hits += 1;
  }
  stats[0] = T(hits);
  stats[1] = T(rows);
}

template <class T> void l2norm_fwd(const T* x, int64_t rows, int D, T eps, T* y, T* norm) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int d = 0; d < D; ++d) s += double(x[r * D + d]) * x[r * D + d];
    const T nr = T(std::sqrt(s));
    norm[r] = nr;
    const T den = std::max(nr, eps);
    for (int d = 0; d < D; ++d) y[r * D + d] = x[r * D + d] / den;
  }
}
// Below eps the map is x/eps (linear), above it the projection derivative.
template <class T>
void l2norm_bwd(const T* y, const T* norm, const T* dy, int64_t rows, int D, T eps, T* dx) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    if (norm[r] <= eps) {
      for (int d = 0; d < D; ++d) dx[r * D + d] = dy[r * D + d] / eps;
      continue;
    }
    double dot = 0;
    for (int d = 0; d < D; ++d) dot += double(y[r * D + d]) * dy[r * D + d];
    for (int d = 0; d < D; ++d)
      dx[r * D + d] = T((dy[r * D + d] - y[r * D + d] * dot) / norm[r]);
  }
}

#define INST(T)                                                                              \
  template void log_softmax_fwd<T>(const T*, int64_t, int, int64_t, T*);                     \
  template void log_softmax_bwd<T>(const T*, const T*, int64_t, int, int64_t, T*);           \
  template void xent_fwd<T>(const T*, const int64_t*, int64_t, int, int64_t, int64_t, T*,    \
                            T*);                                                             \
  template void xent_bwd<T>(const T*, const int64_t*, int64_t, int, int64_t, int64_t, T, T*);\
  template void mse_fwd<T>(const T*, const T*, const T*, int64_t, T*);                       \
  template void mse_bwd<T>(const T*, const T*, const T*, int64_t, T, T*);                    \
  template void l1_fwd<T>(const T*, const T*, const T*, int64_t, T*);                        \
  template void l1_bwd<T>(const T*, const T*, const T*, int64_t, T, T*);                     \
  template void top1_hits<T>(const T*, const int64_t*, int64_t, int, T*);                     \
  template void l2norm_fwd<T>(const T*, int64_t, int, T, T*, T*);                            \
  template void l2norm_bwd<T>(const T*, const T*, const T*, int64_t, int, T, T*);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
