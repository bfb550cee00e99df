// Native binary16 kernels (see ss/kernels/half.h): f16 loads, f32 arithmetic written like
// the f32 kernels in act.cu/pool.cu/elementwise.cu, one rounding on store.
#include <cuda_fp16.h>

#include "device_util.cuh"
#include "ss/kernels/half.h"

namespace ss::cuda {
namespace {

using dev::ld;
using dev::st;

struct ReluFwd {
  const __half* x;
  __half* y;
  __device__ void operator()(int64_t i) const {
    const float v = ld(x, i);
    st(y, i, v > 0.f ? v : 0.f);
  }
};
struct ReluBwd {
  const __half *x, *dy;
  __half* dx;
  __device__ void operator()(int64_t i) const { st(dx, i, ld(x, i) > 0.f ? ld(dy, i) : 0.f); }
};
struct CeluFwd {
  const __half* x;
  __half* y;
  float alpha;
  __device__ void operator()(int64_t i) const {
    const float v = ld(x, i);
    st(y, i, v > 0.f ? v : alpha * expm1f(v / alpha));
  }
};
struct CeluBwd {
  const __half *x, *dy;
  __half* dx;
  float alpha;
  __device__ void operator()(int64_t i) const {
    const float v = ld(x, i), g = ld(dy, i);
    st(dx, i, v > 0.f ? g : g * expf(v / alpha));
  }
};
struct Add {
  const __half *a, *b;
  __half* y;
  __device__ void operator()(int64_t i) const { st(y, i, ld(a, i) + ld(b, i)); }
};
struct Scale {
  const __half* x;
  float s;
  __half* y;
  __device__ void operator()(int64_t i) const { st(y, i, s * ld(x, i)); }
};
struct BiasAdd {
  __half* y;
  const __half* bias;
  int64_t inner;
  int C;
  bool small;
  __device__ void operator()(int64_t k) const {
    st(y, k, ld(y, k) + ld(bias, dev::channel_of(k, inner, C, small)));
  }
};
struct BiasLoad {
  const __half* dy;
  __device__ void operator()(int c, int64_t k, double* acc) const { acc[0] += ld(dy, k); }
};
struct BiasFinal {
  __half* db;
  __device__ void operator()(int c, const double* tot) const { st(db, c, float(tot[0])); }
};

struct MaxFwd {
  const __half* x;
  __half* y;
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
// Same window order and strict comparison as the f32 kernel, so the argmax agrees.
struct MaxBwd {
  const __half *x, *dy;
  __half* dx;
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
    const int mine = (h & 1) * 2 + (w & 1);
    st(dx, k, mine == best ? ld(dy, p * Ho * Wo + int64_t(i) * Wo + j) : 0.f);
  }
};

__global__ void avg_fwd_kernel(const __half* x, int64_t NC, int HW, __half* y) {
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
struct AvgBwd {
  const __half* dy;
  __half* dx;
  int HW;
  __device__ void operator()(int64_t k) const { st(dx, k, ld(dy, k / HW) / float(HW)); }
};

const __half* H(const void* p) { return static_cast<const __half*>(p); }
__half* H(void* p) { return static_cast<__half*>(p); }

}  // namespace

void relu_fwd_f16(const void* x, void* y, int64_t n) { dev::launch_each(ReluFwd{H(x), H(y)}, n); }
void relu_bwd_f16(const void* x, const void* dy, void* dx, int64_t n) {
  dev::launch_each(ReluBwd{H(x), H(dy), H(dx)}, n);
}
void celu_fwd_f16(const void* x, void* y, int64_t n, float alpha) {
  dev::launch_each(CeluFwd{H(x), H(y), alpha}, n);
}
void celu_bwd_f16(const void* x, const void* dy, void* dx, int64_t n, float alpha) {
  dev::launch_each(CeluBwd{H(x), H(dy), H(dx), alpha}, n);
}
void add_f16(const void* a, const void* b, void* y, int64_t n) {
  dev::launch_each(Add{H(a), H(b), H(y)}, n);
}
void scale_f16(const void* x, float s, void* y, int64_t n) {
  dev::launch_each(Scale{H(x), s, H(y)}, n);
}
void bias_add_f16(void* y, const void* bias, int64_t N, int C, int64_t inner) {
  const int64_t n = N * C * inner;
  dev::launch_each(BiasAdd{H(y), H(bias), inner, C, n < (int64_t(1) << 32)}, n);
}
void bias_grad_f16(const void* dy, int64_t N, int C, int64_t inner, void* db) {
  if (C <= 0) return;
  const dev::ChannelSplit sp = dev::channel_split(N, C, inner);
  auto* part = static_cast<double*>(workspace(sizeof(double) * size_t(C) * sp.S));
  dev::channel_reduce<1>(sp, BiasLoad{H(dy)}, BiasFinal{H(db)}, part);
}
void maxpool2_fwd_f16(const void* x, int64_t NC, int H_, int W, void* y) {
  const int Ho = H_ / 2, Wo = W / 2;
  dev::launch_each(MaxFwd{H(x), H(y), H_, W, Ho, Wo}, NC * Ho * Wo);
}
void maxpool2_bwd_f16(const void* x, const void* dy, int64_t NC, int H_, int W, void* dx) {
  dev::launch_each(MaxBwd{H(x), H(dy), H(dx), H_, W, H_ / 2, W / 2}, NC * H_ * W);
}
void avgpool_global_fwd_f16(const void* x, int64_t NC, int HW, void* y) {
  if (NC <= 0) return;
  const int warps_per_block = kThreads / 32;
  avg_fwd_kernel<<<grid_for(NC, warps_per_block), kThreads, 0, stream()>>>(H(x), NC, HW, H(y));
  CUDA_CHECK_LAUNCH();
}
void avgpool_global_bwd_f16(const void* dy, int64_t NC, int HW, void* dx) {
  dev::launch_each(AvgBwd{H(dy), H(dx), HW}, NC * HW);
}

}  // namespace ss::cuda
