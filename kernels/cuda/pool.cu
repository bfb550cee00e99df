// 2×2/stride-2 max pooling and global average pooling over NCHW planes. The comparison
// sequence is the CPU reference's (strict >, window order (0,0),(0,1),(1,0),(1,1)), so
// ties and the chosen argmax agree exactly.
#include "device_util.cuh"
#include "ss/kernels/pool.h"

namespace ss::cuda {
namespace {

struct MaxFwd {
  const float* x;
  float* y;
  int H, W, Ho, Wo;
  __device__ void operator()(int64_t k) const {
    const int64_t plane = int64_t(Ho) * Wo;
    const int64_t p = k / plane;
    const int r = int(k - p * plane), i = r / Wo, j = r - i * Wo;
    const float* a = x + p * H * W + int64_t(2 * i) * W + 2 * j;
    float m = a[0];
    if (a[1] > m) m = a[1];
    if (a[W] > m) m = a[W];
    if (a[W + 1] > m) m = a[W + 1];
    y[k] = m;
  }
};

// One thread per input element: each writes its own dx (argmax gets dy, the rest and the
// dropped odd row/column get 0), so no zero-fill pass and no scattered writes are needed.
struct MaxBwd {
  const float *x, *dy;
  float* dx;
  int H, W, Ho, Wo;
  __device__ void operator()(int64_t k) const {
    const int64_t plane = int64_t(H) * W;
    const int64_t p = k / plane;
    const int r = int(k - p * plane), h = r / W, w = r - h * W;
    const int i = h >> 1, j = w >> 1;
    if (i >= Ho || j >= Wo) {
      dx[k] = 0.f;
      return;
    }
    const float* a = x + p * plane + int64_t(2 * i) * W + 2 * j;
    const int off[4] = {0, 1, W, W + 1};
    int best = 0;
#pragma unroll
    for (int q = 1; q < 4; ++q)
      if (a[off[q]] > a[off[best]]) best = q;
    const int mine = (h & 1) * 2 + (w & 1);  // this element's position in window order
    dx[k] = mine == best ? dy[p * Ho * Wo + int64_t(i) * Wo + j] : 0.f;
  }
};

// A warp per plane; planes are usually small (global pooling after the last stage).
__global__ void avg_fwd_kernel(const float* x, int64_t NC, int HW, float* y) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = int64_t(gridDim.x) * (blockDim.x >> 5);
  for (int64_t p = int64_t(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5); p < NC;
       p += warps) {
    const float* xp = x + p * HW;
    double s = 0.0;
    for (int i = lane; i < HW; i += 32) s += xp[i];
    s = dev::warp_sum(s);
    if (lane == 0) y[p] = float(s / HW);
  }
}

struct AvgBwd {
  const float* dy;
  float* dx;
  int HW;
  __device__ void operator()(int64_t k) const { dx[k] = dy[k / HW] / float(HW); }
};

}  // namespace

void maxpool2_fwd(const float* x, int64_t NC, int H, int W, float* y) {
  const int Ho = H / 2, Wo = W / 2;
  dev::launch_each(MaxFwd{x, y, H, W, Ho, Wo}, NC * Ho * Wo);
}

void maxpool2_bwd(const float* x, const float* dy, int64_t NC, int H, int W, float* dx) {
  dev::launch_each(MaxBwd{x, dy, dx, H, W, H / 2, W / 2}, NC * H * W);
}

void avgpool_global_fwd(const float* x, int64_t NC, int HW, float* y) {
  if (NC <= 0) return;
  const int warps_per_block = kThreads / 32;
  avg_fwd_kernel<<<grid_for(NC, warps_per_block), kThreads, 0, stream()>>>(x, NC, HW, y);
  CUDA_CHECK_LAUNCH();
}

void avgpool_global_bwd(const float* dy, int64_t NC, int HW, float* dx) {
  dev::launch_each(AvgBwd{dy, dx, HW}, NC * HW);
}

}  // namespace ss::cuda
