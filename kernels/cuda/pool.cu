// 2×2/stride-2 max pooling and global average pooling over NCHW planes, f32 or f16
// storage (f32 arithmetic, one rounding on an f16 store). The comparison sequence is the
// CPU reference's (strict >, window order (0,0),(0,1),(1,0),(1,1)), so ties and the chosen
// argmax agree exactly.
#include <cuda_fp16.h>

#include "device_util.cuh"
#include "ss/kernels/half.h"
#include "ss/kernels/pool.h"

namespace ss::cuda {
namespace {

using dev::ld;
using dev::st;

template <class S>
struct MaxFwd {
  const S* x;
  S* y;
  int H, W, Ho, Wo;
  __device__ void operator()(int64_t k) const {
    const int64_t plane = int64_t(Ho) * Wo;
    const int64_t p = k / plane;
    const int r = int(k - p * plane), i = r / Wo, j = r - i * Wo;
    const int64_t a = p * H * W + int64_t(2 * i) * W + 2 * j;
    float m = ld(x, a);
    if (ld(x, a + 1) > m) m = ld(x, a + 1);
    if (ld(x, a + W) > m) m = ld(x, a + W);
    if (ld(x, a + W + 1) > m) m = ld(x, a + W + 1);
    st(y, k, m);
  }
};

// One thread per input element: each writes its own dx (argmax gets dy, the rest and the
// dropped odd row/column get 0), so no zero-fill pass and no scattered writes are needed.
template <class S>
struct MaxBwd {
  const S *x, *dy;
  S* dx;
  int H, W, Ho, Wo;
  __device__ void operator()(int64_t k) const {
    const int64_t plane = int64_t(H) * W;
    const int64_t p = k / plane;
    const int r = int(k - p * plane), h = r / W, w = r - h * W;
    const int i = h >> 1, j = w >> 1;
    if (i >= Ho || j >= Wo) {
      st(dx, k, 0.f);
      return;
    }
    const int64_t a = p * plane + int64_t(2 * i) * W + 2 * j;
    const int off[4] = {0, 1, W, W + 1};
    int best = 0;
#pragma unroll
    for (int q = 1; q < 4; ++q)
      if (ld(x, a + off[q]) > ld(x, a + off[best])) best = q;
    const int mine = (h & 1) * 2 + (w & 1);  // this element's position in window order
    st(dx, k, mine == best ? ld(dy, p * Ho * Wo + int64_t(i) * Wo + j) : 0.f);
  }
};

// A warp per plane; planes are usually small (global pooling after the last stage).
template <class S>
__global__ void avg_fwd_kernel(const S* x, int64_t NC, int HW, S* y) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = int64_t(gridDim.x) * (blockDim.x >> 5);
  for (int64_t p = int64_t(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5); p < NC;
       p += warps) {
    double s = 0.0;
    for (int i = lane; i < HW; i += 32) s += ld(x, p * HW + i);
    s = dev::warp_sum(s);
    if (lane == 0) st(y, p, float(s / HW));
  }
}

template <class S>
struct AvgBwd {
  const S* dy;
  S* dx;
  int HW;
  __device__ void operator()(int64_t k) const { st(dx, k, ld(dy, k / HW) / float(HW)); }
};

template <class S>
void max_fwd(const S* x, int64_t NC, int H, int W, S* y) {
  const int Ho = H / 2, Wo = W / 2;
  dev::launch_each(MaxFwd<S>{x, y, H, W, Ho, Wo}, NC * Ho * Wo);
}
template <class S>
void max_bwd(const S* x, const S* dy, int64_t NC, int H, int W, S* dx) {
  dev::launch_each(MaxBwd<S>{x, dy, dx, H, W, H / 2, W / 2}, NC * H * W);
}
template <class S>
void avg_fwd(const S* x, int64_t NC, int HW, S* y) {
  if (NC <= 0) return;
  const int warps_per_block = kThreads / 32;
  avg_fwd_kernel<S><<<grid_for(NC, warps_per_block), kThreads, 0, stream()>>>(x, NC, HW, y);
  CUDA_CHECK_LAUNCH();
}
template <class S>
void avg_bwd(const S* dy, int64_t NC, int HW, S* dx) {
  dev::launch_each(AvgBwd<S>{dy, dx, HW}, NC * HW);
}

const __half* H(const void* p) { return static_cast<const __half*>(p); }
__half* H(void* p) { return static_cast<__half*>(p); }

}  // namespace

void maxpool2_fwd(const float* x, int64_t NC, int H, int W, float* y) { max_fwd(x, NC, H, W, y); }
void maxpool2_bwd(const float* x, const float* dy, int64_t NC, int H, int W, float* dx) {
  max_bwd(x, dy, NC, H, W, dx);
}
void avgpool_global_fwd(const float* x, int64_t NC, int HW, float* y) { avg_fwd(x, NC, HW, y); }
void avgpool_global_bwd(const float* dy, int64_t NC, int HW, float* dx) {
  avg_bwd(dy, NC, HW, dx);
}

void maxpool2_fwd_f16(const void* x, int64_t NC, int H_, int W, void* y) {
  max_fwd(H(x), NC, H_, W, H(y));
}
void maxpool2_bwd_f16(const void* x, const void* dy, int64_t NC, int H_, int W, void* dx) {
  max_bwd(H(x), H(dy), NC, H_, W, H(dx));
}
void avgpool_global_fwd_f16(const void* x, int64_t NC, int HW, void* y) {
  avg_fwd(H(x), NC, HW, H(y));
}
void avgpool_global_bwd_f16(const void* dy, int64_t NC, int HW, void* dx) {
  avg_bwd(H(dy), NC, HW, H(dx));
}

}  // namespace ss::cuda
