// 2×2/stride-2 max pooling on NHWC memory, f32 and f16 storage. Comparisons in f32 with
// the CPU reference's window order and strict >, so the argmax agrees exactly.
#include <cuda_fp16.h>

#include <cstdint>
#include <initializer_list>

#include "device_util.cuh"
#include "ss/kernels/pool.h"

namespace ss::cuda {
namespace {

using dev::ld;
using dev::st;

// A 2x2 window of output element (or 16-byte lane group) k over [N, Ho, Wo, Cv]: its first
// corner and row stride, in units of Cv channels' elements (or lanes).
struct Window {
  int64_t a, row;
  int Cv;
  __device__ Window(int64_t k, int H, int W, int Cv_, int Ho, int Wo) : Cv(Cv_) {
    const int cv = int(k % Cv);
    int64_t r = k / Cv;
    const int j = int(r % Wo);
    r /= Wo;
    const int i = int(r % Ho);
    const int64_t n = r / Ho;
    row = int64_t(W) * Cv;
    a = ((n * H + 2 * i) * W + 2 * j) * Cv + cv;
  }
  // Window order: (0,0), (0,1), (1,0), (1,1).
  __device__ int64_t corner(int q) const { return a + (q & 1) * Cv + (q >> 1) * row; }
};

template <class S>
struct Fwd {
  const S* x;
  S* y;
  uint8_t* idx;  // optional: the window position of each maximum
  int H, W, C, Ho, Wo;
  __device__ void operator()(int64_t k) const {  // k over [N, Ho, Wo, C]
    const Window win(k, H, W, C, Ho, Wo);
    float m = ld(x, win.corner(0));
    int best = 0;
#pragma unroll
    for (int q = 1; q < 4; ++q)
      if (ld(x, win.corner(q)) > m) m = ld(x, win.corner(q)), best = q;
    st(y, k, m);
    if (idx) idx[k] = uint8_t(best);
  }
};

// Input element k of [N, H, W, C]: its window (i, j) and its position in it (0..3,
// row-major); `in` is false for an odd trailing row or column, which no window covers.
struct InputElem {
  int64_t n;
  int c, h, w, i, j;
  bool in;
  __device__ InputElem(int64_t k, int H, int W, int C, int Ho, int Wo) {
    c = int(k % C);
    int64_t r = k / C;
    w = int(r % W);
    r /= W;
    h = int(r % H);
    n = r / H;
    i = h >> 1, j = w >> 1;
    in = i < Ho && j < Wo;
  }
  __device__ int pos() const { return (h & 1) * 2 + (w & 1); }
  __device__ int64_t out(int Ho, int Wo, int C) const { return ((n * Ho + i) * Wo + j) * C + c; }
};

// One thread per input element writes its own dx (no zero pass, no scattered writes).
template <class S>
struct Bwd {
  const S *x, *dy;
  S* dx;
  int H, W, C, Ho, Wo;
  __device__ void operator()(int64_t k) const {  // k over [N, H, W, C]
    const InputElem e(k, H, W, C, Ho, Wo);
    if (!e.in) return st(dx, k, 0.f);
    const int64_t row = int64_t(W) * C;
    const int64_t a = ((e.n * H + 2 * e.i) * W + 2 * e.j) * C + e.c;
    const int64_t off[4] = {0, C, row, row + C};
    int best = 0;
#pragma unroll
    for (int q = 1; q < 4; ++q)
      if (ld(x, a + off[q]) > ld(x, a + off[best])) best = q;
    st(dx, k, e.pos() == best ? ld(dy, e.out(Ho, Wo, C)) : 0.f);
  }
};

// The backward from the forward's window positions: no read of x.
template <class S>
struct BwdIdx {
  const uint8_t* idx;
  const S* dy;
  S* dx;
  int H, W, C, Ho, Wo;
  __device__ void operator()(int64_t k) const {  // k over [N, H, W, C]
    const InputElem e(k, H, W, C, Ho, Wo);
    if (!e.in) return st(dx, k, 0.f);
    const int64_t o = e.out(Ho, Wo, C);
    st(dx, k, idx[o] == e.pos() ? ld(dy, o) : 0.f);
  }
};

// The same two functions, a thread per window and 16 bytes of channels (8 f16 or 4 f32):
// every byte is read or written once, in 16-byte accesses. The per-element versions above
// re-read each window four times (backward) and index per element; the backward of the
// first ResNet9 pool took 2.7 ms on an H100 that way. Needs C a multiple of the lane
// count, even H and W, and 16-byte aligned pointers; the lanes compare exactly as above.
template <class S>
constexpr int kLanes = 16 / int(sizeof(S));

// A lane group's window positions as one 4- or 8-byte access (idx + k * lanes is aligned
// to it: the index array is 16-byte aligned, like every tensor).
template <int L>
__device__ __forceinline__ void store_pos(uint8_t* p, const uint8_t (&pos)[L]) {
  if constexpr (L == 8) {
    uint2 u;
    memcpy(&u, pos, 8);
    *reinterpret_cast<uint2*>(p) = u;
  } else {
    uint32_t u;
    memcpy(&u, pos, 4);
    *reinterpret_cast<uint32_t*>(p) = u;
  }
}
template <int L>
__device__ __forceinline__ void load_pos(const uint8_t* p, uint8_t (&pos)[L]) {
  if constexpr (L == 8) {
    const uint2 u = *reinterpret_cast<const uint2*>(p);
    memcpy(pos, &u, 8);
  } else {
    const uint32_t u = *reinterpret_cast<const uint32_t*>(p);
    memcpy(pos, &u, 4);
  }
}

template <class S>
struct FwdVec {
  const uint4* x;
  uint4* y;
  uint8_t* idx;  // optional: kLanes window positions per output group
  int H, W, Cv, Ho, Wo;
  __device__ void operator()(int64_t k) const {  // k over [N, Ho, Wo, C / lanes]
    const Window win(k, H, W, Cv, Ho, Wo);
    uint4 v[4];
#pragma unroll
    for (int q = 0; q < 4; ++q) v[q] = x[win.corner(q)];
    uint4 out;
    S* o = reinterpret_cast<S*>(&out);
    uint8_t pos[kLanes<S>];
#pragma unroll
    for (int l = 0; l < kLanes<S>; ++l) {
      float m = ld(reinterpret_cast<const S*>(&v[0]), l);
      int best = 0;
#pragma unroll
      for (int q = 1; q < 4; ++q) {
        const float e = ld(reinterpret_cast<const S*>(&v[q]), l);
        if (e > m) m = e, best = q;
      }
      st(o, l, m);
      pos[l] = uint8_t(best);
    }
    y[k] = out;
    if (idx) store_pos(idx + k * kLanes<S>, pos);
  }
};

template <class S>
struct BwdIdxVec {
  const uint8_t* idx;
  const uint4* dy;
  uint4* dx;
  int H, W, Cv, Ho, Wo;
  __device__ void operator()(int64_t k) const {  // k over [N, Ho, Wo, C / lanes]
    const Window win(k, H, W, Cv, Ho, Wo);
    uint8_t pos[kLanes<S>];
    load_pos(idx + k * kLanes<S>, pos);
    const uint4 d = dy[k];
    uint4 g[4];
#pragma unroll
    for (int l = 0; l < kLanes<S>; ++l) {
      const float gl = ld(reinterpret_cast<const S*>(&d), l);
#pragma unroll
      for (int q = 0; q < 4; ++q) st(reinterpret_cast<S*>(&g[q]), l, q == pos[l] ? gl : 0.f);
    }
#pragma unroll
    for (int q = 0; q < 4; ++q) dx[win.corner(q)] = g[q];
  }
};

template <class S>
struct BwdVec {
  const uint4 *x, *dy;
  uint4* dx;
  int H, W, Cv, Ho, Wo;
  __device__ void operator()(int64_t k) const {  // k over [N, Ho, Wo, C / lanes]
    const Window win(k, H, W, Cv, Ho, Wo);
    uint4 v[4], g[4];
#pragma unroll
    for (int q = 0; q < 4; ++q) v[q] = x[win.corner(q)];
    const uint4 d = dy[k];
#pragma unroll
    for (int l = 0; l < kLanes<S>; ++l) {
      int best = 0;
      float m = ld(reinterpret_cast<const S*>(&v[0]), l);
#pragma unroll
      for (int q = 1; q < 4; ++q) {
        const float e = ld(reinterpret_cast<const S*>(&v[q]), l);
        if (e > m) m = e, best = q;
      }
      const float gl = ld(reinterpret_cast<const S*>(&d), l);
#pragma unroll
      for (int q = 0; q < 4; ++q) st(reinterpret_cast<S*>(&g[q]), l, q == best ? gl : 0.f);
    }
#pragma unroll
    for (int q = 0; q < 4; ++q) dx[win.corner(q)] = g[q];
  }
};

template <class S>
bool vec_ok(int H, int W, int C, std::initializer_list<const void*> ptrs) {
  return C % kLanes<S> == 0 && H % 2 == 0 && W % 2 == 0 && dev::aligned16(ptrs);
}

template <class S>
void fwd(const S* x, int N, int H, int W, int C, S* y, uint8_t* idx) {
  const int Ho = H / 2, Wo = W / 2;
  if (vec_ok<S>(H, W, C, {x, y, idx})) {
    const int Cv = C / kLanes<S>;
    return dev::launch_each(FwdVec<S>{reinterpret_cast<const uint4*>(x),
                                      reinterpret_cast<uint4*>(y), idx, H, W, Cv, Ho, Wo},
                            int64_t(N) * Ho * Wo * Cv);
  }
  dev::launch_each(Fwd<S>{x, y, idx, H, W, C, Ho, Wo}, int64_t(N) * Ho * Wo * C);
}
template <class S>
void bwd_idx(const uint8_t* idx, const S* dy, int N, int H, int W, int C, S* dx) {
  if (vec_ok<S>(H, W, C, {idx, dy, dx})) {
    const int Cv = C / kLanes<S>;
    return dev::launch_each(BwdIdxVec<S>{idx, reinterpret_cast<const uint4*>(dy),
                                         reinterpret_cast<uint4*>(dx), H, W, Cv, H / 2, W / 2},
                            int64_t(N) * (H / 2) * (W / 2) * Cv);
  }
  dev::launch_each(BwdIdx<S>{idx, dy, dx, H, W, C, H / 2, W / 2}, int64_t(N) * H * W * C);
}
template <class S>
void bwd(const S* x, const S* dy, int N, int H, int W, int C, S* dx) {
  if (vec_ok<S>(H, W, C, {x, dy, dx})) {
    const int Cv = C / kLanes<S>;
    return dev::launch_each(
        BwdVec<S>{reinterpret_cast<const uint4*>(x), reinterpret_cast<const uint4*>(dy),
                  reinterpret_cast<uint4*>(dx), H, W, Cv, H / 2, W / 2},
        int64_t(N) * (H / 2) * (W / 2) * Cv);
  }
  dev::launch_each(Bwd<S>{x, dy, dx, H, W, C, H / 2, W / 2}, int64_t(N) * H * W * C);
}

}  // namespace

void maxpool2_nhwc_fwd(const float* x, int N, int H, int W, int C, float* y, uint8_t* idx) {
  fwd(x, N, H, W, C, y, idx);
}
void maxpool2_nhwc_bwd_idx(const uint8_t* idx, const float* dy, int N, int H, int W, int C,
                           float* dx) {
  bwd_idx(idx, dy, N, H, W, C, dx);
}
void maxpool2_nhwc_bwd(const float* x, const float* dy, int N, int H, int W, int C, float* dx) {
  bwd(x, dy, N, H, W, C, dx);
}
void maxpool2_nhwc_fwd_f16(const void* x, int N, int H, int W, int C, void* y, uint8_t* idx) {
  fwd(static_cast<const __half*>(x), N, H, W, C, static_cast<__half*>(y), idx);
}
void maxpool2_nhwc_bwd_idx_f16(const uint8_t* idx, const void* dy, int N, int H, int W, int C,
                               void* dx) {
  bwd_idx(idx, static_cast<const __half*>(dy), N, H, W, C, static_cast<__half*>(dx));
}
void maxpool2_nhwc_bwd_f16(const void* x, const void* dy, int N, int H, int W, int C, void* dx) {
  bwd(static_cast<const __half*>(x), static_cast<const __half*>(dy), N, H, W, C,
      static_cast<__half*>(dx));
}

}  // namespace ss::cuda
