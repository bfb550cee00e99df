// Pointwise activations. Expressions follow kernels/cpu/act.cpp term for term; the _rn
// intrinsics stop nvcc from fusing a*b+c into an FMA, which the CPU build does not do, so
// everything except the transcendental calls rounds identically.
#include "device_util.cuh"
#include "ss/kernels/act.h"

namespace ss::cuda {
namespace {

struct ReluFwd {
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = x[i] > 0.f ? x[i] : 0.f; }
};
struct ReluBwd {
  const float *x, *dy;
  float* dx;
  __device__ void operator()(int64_t i) const { dx[i] = x[i] > 0.f ? dy[i] : 0.f; }
};
struct CeluFwd {
  const float* x;
  float* y;
  float alpha;
  __device__ void operator()(int64_t i) const {
    const float v = x[i];
    y[i] = v > 0.f ? v : alpha * expm1f(v / alpha);
  }
};
struct CeluBwd {
  const float *x, *dy;
  float* dx;
  float alpha;
  __device__ void operator()(int64_t i) const {
    const float v = x[i];
    dx[i] = v > 0.f ? dy[i] : dy[i] * expf(v / alpha);
  }
};
struct TanhFwd {
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = tanhf(x[i]); }
};
struct TanhBwd {
  const float *y, *dy;
  float* dx;
  __device__ void operator()(int64_t i) const {
    dx[i] = dy[i] * __fsub_rn(1.f, __fmul_rn(y[i], y[i]));
  }
};
struct ExpFwd {
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = expf(x[i]); }
};
struct SoftclipFwd {
  const float* x;
  float* y;
  float c;
  __device__ void operator()(int64_t i) const { y[i] = c * tanhf(x[i] / c); }
};
struct SoftclipBwd {
  const float *x, *dy;
  float* dx;
  float c;
  __device__ void operator()(int64_t i) const {
    const float t = tanhf(x[i] / c);
    dx[i] = dy[i] * __fsub_rn(1.f, __fmul_rn(t, t));
  }
};

}  // namespace

void relu_fwd(const float* x, float* y, int64_t n) { dev::launch_each(ReluFwd{x, y}, n); }
void relu_bwd(const float* x, const float* dy, float* dx, int64_t n) {
  dev::launch_each(ReluBwd{x, dy, dx}, n);
}
void celu_fwd(const float* x, float* y, int64_t n, float alpha) {
  dev::launch_each(CeluFwd{x, y, alpha}, n);
}
void celu_bwd(const float* x, const float* dy, float* dx, int64_t n, float alpha) {
  dev::launch_each(CeluBwd{x, dy, dx, alpha}, n);
}
void tanh_fwd(const float* x, float* y, int64_t n) { dev::launch_each(TanhFwd{x, y}, n); }
void tanh_bwd(const float* y, const float* dy, float* dx, int64_t n) {
  dev::launch_each(TanhBwd{y, dy, dx}, n);
}
void exp_fwd(const float* x, float* y, int64_t n) { dev::launch_each(ExpFwd{x, y}, n); }
void softclip_fwd(const float* x, float* y, int64_t n, float c) {
  dev::launch_each(SoftclipFwd{x, y, c}, n);
}
void softclip_bwd(const float* x, const float* dy, float* dx, int64_t n, float c) {
  dev::launch_each(SoftclipBwd{x, dy, dx, c}, n);
}

}  // namespace ss::cuda
