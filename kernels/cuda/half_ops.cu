// Native binary16 kernels (see ss/kernels/half.h): f16 loads, f32 arithmetic written like
// the f32 kernels in act.cu/elementwise.cu, one rounding on store. (Pooling's f16 kernels
// share pool.cu's templates.)
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
struct Add8 {  // the residual gradients' sum: a large tensor per residual block
  Add f;
  __device__ void operator()(int64_t k) const {
    float a[8], b[8];
    dev::ld8(f.a, k, a);
    dev::ld8(f.b, k, b);
#pragma unroll
    for (int l = 0; l < 8; ++l) a[l] += b[l];
    dev::st8(f.y, k, a);
  }
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

struct CopyChannels {  // dst[r, c] = c < c_src ? src[r, c] : 0, rows of c_dst channels
  const __half* src;
  __half* dst;
  int c_src, c_dst;
  __device__ void operator()(int64_t i) const {
    const int64_t r = i / c_dst;
    const int c = int(i - r * c_dst);
    dst[i] = c < c_src ? src[r * c_src + c] : __float2half(0.f);
  }
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
  const Add f{H(a), H(b), H(y)};
  dev::launch_each_or8(f, Add8{f}, n, {a, b, y});
}
void scale_f16(const void* x, float s, void* y, int64_t n) {
  dev::launch_each(Scale{H(x), s, H(y)}, n);
}
void copy_channels_f16(const void* src, int c_src, void* dst, int c_dst, int64_t rows) {
  dev::launch_each(CopyChannels{H(src), H(dst), c_src, c_dst}, rows * c_dst);
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
}  // namespace ss::cuda
