// Adam and SGD updates, term for term as kernels/cpu/optim.cpp (torch.optim semantics).
// Scalars (bias corrections, step size) are computed on the host exactly as the CPU does,
// and every per-element operation is an explicitly rounded _rn intrinsic so nvcc cannot
// fuse it into an FMA: given the same inputs, CPU and GPU produce the same bits.
#include <cmath>

#include "device_util.cuh"
#include "ss/kernels/optim.h"

namespace ss::cuda {
namespace {

struct AdamScalars {
  float b1, b2, omb1, omb2, wd, eps, step_size, bc2_sqrt;
};

AdamScalars adam_scalars(const AdamParams& a) {
  const double bc1 = 1.0 - std::pow(double(a.beta1), double(a.step));
  const double bc2 = 1.0 - std::pow(double(a.beta2), double(a.step));
  AdamScalars s;
  s.b1 = a.beta1;
  s.b2 = a.beta2;
  s.omb1 = 1.f - a.beta1;
  s.omb2 = 1.f - a.beta2;
  s.wd = a.weight_decay;
  s.eps = a.eps;
  s.step_size = float(double(a.lr) / bc1);
  s.bc2_sqrt = float(std::sqrt(bc2));
  return s;
}

__device__ __forceinline__ void adam_elem(float& p, float g, float& m, float& v,
                                          const AdamScalars& s) {
  const float gi = __fadd_rn(g, __fmul_rn(s.wd, p));
  m = __fadd_rn(__fmul_rn(s.b1, m), __fmul_rn(s.omb1, gi));
  v = __fadd_rn(__fmul_rn(s.b2, v), __fmul_rn(__fmul_rn(s.omb2, gi), gi));
  const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(v), s.bc2_sqrt), s.eps);
  p = __fsub_rn(p, __fdiv_rn(__fmul_rn(s.step_size, m), denom));
}

struct Adam {
  float* p;
  const float* g;
  float *m, *v;
  AdamScalars s;
  __device__ void operator()(int64_t i) const {
    float pi = p[i], mi = m[i], vi = v[i];
    adam_elem(pi, g[i], mi, vi, s);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
  }
};

// Tensor table passed by value as a kernel argument: 48 tensors keep it under the classic
// 4 KiB parameter limit, and a model's parameters take a few launches instead of one per
// tensor (ResNet-50: 161 tensors -> 4 launches).
constexpr int kTensorsPerLaunch = 48;
struct AdamTable {
  float* p[kTensorsPerLaunch];
  const float* g[kTensorsPerLaunch];
  float* m[kTensorsPerLaunch];
  float* v[kTensorsPerLaunch];
  int64_t n[kTensorsPerLaunch];
  int count;
};

// Every block walks every tensor of the table with a grid-stride loop: no block->tensor
// map to build, and large and small tensors share the same launch.
__global__ void adam_multi_kernel(AdamTable t, AdamScalars s) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  const int64_t first = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int k = 0; k < t.count; ++k) {
    float* p = t.p[k];
    const float* g = t.g[k];
    float* m = t.m[k];
    float* v = t.v[k];
    const int64_t n = t.n[k];
    for (int64_t i = first; i < n; i += step) {
      float pi = p[i], mi = m[i], vi = v[i];
      adam_elem(pi, g[i], mi, vi, s);
      p[i] = pi;
      m[i] = mi;
      v[i] = vi;
    }
  }
}

struct Sgd {
  float* p;
  const float* g;
  float* buf;
  float lr, momentum, wd;
  bool first;
  __device__ void operator()(int64_t i) const {
    float gi = __fadd_rn(g[i], __fmul_rn(wd, p[i]));
    if (momentum != 0.f) {
      const float b = first ? gi : __fadd_rn(__fmul_rn(momentum, buf[i]), gi);
      buf[i] = b;
      gi = b;
    }
    p[i] = __fsub_rn(p[i], __fmul_rn(lr, gi));
  }
};

}  // namespace

void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamParams& a) {
  dev::launch_each(Adam{p, g, m, v, adam_scalars(a)}, n);
}

// p, g, m, v and sizes are host arrays (of device pointers), `count` entries each.
void adam_step_multi(float* const* p, const float* const* g, float* const* m, float* const* v,
                     const int64_t* sizes, int count, const AdamParams& a) {
  const AdamScalars s = adam_scalars(a);
  cudaStream_t st = stream();
  AdamTable t{};
  int64_t largest = 0;
  auto flush = [&] {
    if (t.count == 0) return;
    adam_multi_kernel<<<grid_for(largest), kThreads, 0, st>>>(t, s);
    CUDA_CHECK_LAUNCH();
    t.count = 0;
    largest = 0;
  };
  for (int k = 0; k < count; ++k) {
    if (sizes[k] <= 0) continue;
    t.p[t.count] = p[k];
    t.g[t.count] = g[k];
    t.m[t.count] = m[k];
    t.v[t.count] = v[k];
    t.n[t.count] = sizes[k];
    largest = std::max(largest, sizes[k]);
    if (++t.count == kTensorsPerLaunch) flush();
  }
  flush();
}

void sgd_step(float* p, const float* g, float* buf, int64_t n, float lr, float momentum,
              float wd, bool first_step) {
  dev::launch_each(Sgd{p, g, buf, lr, momentum, wd, first_step}, n);
}

}  // namespace ss::cuda
