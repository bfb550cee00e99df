// 2×2/stride-2 max pooling on NHWC memory, f32 and f16 storage. Comparisons in f32 with
// the CPU reference's window order and strict >, so the argmax agrees exactly.
#include <cuda_fp16.h>

#include "device_util.cuh"
#include "ss/kernels/pool.h"

namespace ss::cuda {
namespace {

using dev::ld;
using dev::st;

template <class S>
struct Fwd {
  const S* x;
  S* y;
  int H, W, C, Ho, Wo;
  __device__ void operator()(int64_t k) const {  // k over [N, Ho, Wo, C]
    const int c = int(k % C);
    int64_t r = k / C;
    const int j = int(r % Wo);
    r /= Wo;
    const int i = int(r % Ho);
    const int64_t n = r / Ho;
    const int64_t row = int64_t(W) * C;
    const int64_t a = ((n * H + 2 * i) * W + 2 * j) * C + c;
    float m = ld(x, a);
    if (ld(x, a + C) > m) m = ld(x, a + C);
    if (ld(x, a + row) > m) m = ld(x, a + row);
    if (ld(x, a + row + C) > m) m = ld(x, a + row + C);
    st(y, k, m);
  }
};

// One thread per input element writes its own dx (no zero pass, no scattered writes).
template <class S>
struct Bwd {
  const S *x, *dy;
  S* dx;
  int H, W, C, Ho, Wo;
  __device__ void operator()(int64_t k) const {  // k over [N, H, W, C]
    const int c = int(k % C);
    int64_t r = k / C;
    const int w = int(r % W);
    r /= W;
    const int h = int(r % H);
    const int64_t n = r / H;
    const int i = h >> 1, j = w >> 1;
    if (i >= Ho || j >= Wo) {
      st(dx, k, 0.f);
      return;
    }
    const int64_t row = int64_t(W) * C;
    const int64_t a = ((n * H + 2 * i) * W + 2 * j) * C + c;
    const int64_t off[4] = {0, C, row, row + C};
    int best = 0;
#pragma unroll
    for (int q = 1; q < 4; ++q)
      if (ld(x, a + off[q]) > ld(x, a + off[best])) best = q;
    const int mine = (h & 1) * 2 + (w & 1);
    st(dx, k, mine == best ? ld(dy, ((n * Ho + i) * Wo + j) * C + c) : 0.f);
  }
};

template <class S>
void fwd(const S* x, int N, int H, int W, int C, S* y) {
  const int Ho = H / 2, Wo = W / 2;
  dev::launch_each(Fwd<S>{x, y, H, W, C, Ho, Wo}, int64_t(N) * Ho * Wo * C);
}
template <class S>
void bwd(const S* x, const S* dy, int N, int H, int W, int C, S* dx) {
  dev::launch_each(Bwd<S>{x, dy, dx, H, W, C, H / 2, W / 2}, int64_t(N) * H * W * C);
}

}  // namespace

void maxpool2_nhwc_fwd(const float* x, int N, int H, int W, int C, float* y) {
  fwd(x, N, H, W, C, y);
}
void maxpool2_nhwc_bwd(const float* x, const float* dy, int N, int H, int W, int C, float* dx) {
  bwd(x, dy, N, H, W, C, dx);
}
void maxpool2_nhwc_fwd_f16(const void* x, int N, int H, int W, int C, void* y) {
  fwd(static_cast<const __half*>(x), N, H, W, C, static_cast<__half*>(y));
}
void maxpool2_nhwc_bwd_f16(const void* x, const void* dy, int N, int H, int W, int C, void* dx) {
  bwd(static_cast<const __half*>(x), static_cast<const __half*>(dy), N, H, W, C,
      static_cast<__half*>(dx));
}

}  // namespace ss::cuda
