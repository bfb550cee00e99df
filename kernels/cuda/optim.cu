// Adam and SGD updates, term for term as kernels/cpu/optim.cpp (torch.optim semantics).
// Every per-element operation is an explicitly rounded _rn intrinsic so nvcc cannot fuse it
// into an FMA. Bias corrections are computed in double from the same formula as the CPU:
// by the host for adam_step, by a one-thread kernel from the device step count for the
// fused versions (CUDA's double pow may differ from glibc's in the last ulp, which changes
// the rounded f32 scalars only in a ~1e-8 fraction of steps).
#include <cmath>

#include "device_util.cuh"
#include "ss/kernels/optim.h"

namespace ss::cuda {
namespace {

struct AdamScalars {
  float b1, b2, omb1, omb2, wd, eps, step_size, bc2_sqrt;
  int skip;  // fused path: the step is skipped (overflow), nothing is written
};

__host__ __device__ AdamScalars adam_scalars(const AdamParams& a, int64_t step) {
  const double bc1 = 1.0 - ::pow(double(a.beta1), double(step));
  const double bc2 = 1.0 - ::pow(double(a.beta2), double(step));
  AdamScalars s;
  s.b1 = a.beta1;
  s.b2 = a.beta2;
  s.omb1 = 1.f - a.beta1;
  s.omb2 = 1.f - a.beta2;
  s.wd = a.weight_decay;
  s.eps = a.eps;
  s.step_size = float(double(a.lr) / bc1);
  s.bc2_sqrt = float(::sqrt(bc2));
  s.skip = 0;
  return s;
}

__device__ __forceinline__ bool overflowed(const float* found_inf) {
  return found_inf != nullptr && *found_inf != 0.f;
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
  const float* found_inf;
  __device__ void operator()(int64_t i) const {
    if (overflowed(found_inf)) return;
    float pi = p[i], mi = m[i], vi = v[i];
    adam_elem(pi, g[i], mi, vi, s);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
  }
};

// One thread, before the fused launches of a step: decides the skip from found_inf,
// advances the device step count unless skipped and derives the scalars from it. The
// launches that follow on the same stream read the result, so all of them see one step.
__global__ void adam_prepare_kernel(AdamParams a, int64_t* step, const float* found_inf,
                                    AdamScalars* out, WarmupLinearSchedule sched,
                                    int64_t* sched_step) {
  if (sched_step) a.lr = float(sched.at((*sched_step)++));
  const bool skip = overflowed(found_inf);
  int64_t t = *step;
  if (!skip) *step = ++t;
  AdamScalars s = adam_scalars(a, t > 0 ? t : 1);  // t == 0 only when skipped: unused
  s.skip = skip ? 1 : 0;
  *out = s;
}

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
__global__ void adam_multi_kernel(AdamTable t, const AdamScalars* sp) {
  const AdamScalars s = *sp;
  if (s.skip) return;
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

__device__ __forceinline__ void sgd_elem(float& p, float g, float* buf, float lr, float momentum,
                                         float wd, bool first) {
  float gi = __fadd_rn(g, __fmul_rn(wd, p));
  if (momentum != 0.f) {
    const float b = first ? gi : __fadd_rn(__fmul_rn(momentum, *buf), gi);
    *buf = b;
    gi = b;
  }
  p = __fsub_rn(p, __fmul_rn(lr, gi));
}

struct Sgd {
  float* p;
  const float* g;
  float* buf;
  float lr, momentum, wd;
  bool first;
  const float* found_inf;
  __device__ void operator()(int64_t i) const {
    if (overflowed(found_inf)) return;
    float pi = p[i];
    sgd_elem(pi, g[i], buf + i, lr, momentum, wd, first);
    p[i] = pi;
  }
};

struct SgdFlags {
  int skip, first;
  float lr;
};

__global__ void sgd_prepare_kernel(int64_t* step, const float* found_inf, SgdFlags* out,
                                   float lr, WarmupLinearSchedule sched, int64_t* sched_step) {
  if (sched_step) lr = float(sched.at((*sched_step)++));
  const bool skip = overflowed(found_inf);
  const int64_t t = *step;
  if (!skip) *step = t + 1;
  *out = SgdFlags{skip ? 1 : 0, t == 0 ? 1 : 0, lr};
}

struct SgdTable {
  float* p[kTensorsPerLaunch];
  const float* g[kTensorsPerLaunch];
  float* buf[kTensorsPerLaunch];
  int64_t n[kTensorsPerLaunch];
  int count;
};

__global__ void sgd_multi_kernel(SgdTable t, float momentum, float wd, const SgdFlags* fp) {
  const SgdFlags f = *fp;
  if (f.skip) return;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  const int64_t first = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int k = 0; k < t.count; ++k) {
    float* p = t.p[k];
    const float* g = t.g[k];
    float* buf = t.buf[k];
    for (int64_t i = first; i < t.n[k]; i += step) {
      float pi = p[i];
      sgd_elem(pi, g[i], buf + i, f.lr, momentum, wd, f.first != 0);
      p[i] = pi;
    }
  }
}

// Fills tables of kTensorsPerLaunch entries and calls launch(table, largest) per table.
template <class Table, class Fill, class Launch>
void for_tables(int count, const int64_t* sizes, Fill fill, Launch launch) {
  Table t{};
  int64_t largest = 0;
  auto flush = [&] {
    if (t.count == 0) return;
    launch(t, largest);
    t.count = 0;
    largest = 0;
  };
  for (int k = 0; k < count; ++k) {
    if (sizes[k] <= 0) continue;
    fill(t, t.count, k);
    t.n[t.count] = sizes[k];
    largest = std::max(largest, sizes[k]);
    if (++t.count == kTensorsPerLaunch) flush();
  }
  flush();
}

}  // namespace

void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamParams& a,
               const float* found_inf) {
  dev::launch_each(Adam{p, g, m, v, adam_scalars(a, a.step), found_inf}, n);
}

void adam_step_multi(float* const* p, const float* const* g, float* const* m, float* const* v,
                     const int64_t* sizes, int count, const AdamParams& a, int64_t* step,
                     const float* found_inf, const WarmupLinearSchedule* sched,
                     int64_t* sched_step) {
  cudaStream_t st = stream();
  auto* s = static_cast<AdamScalars*>(workspace(sizeof(AdamScalars)));
  adam_prepare_kernel<<<1, 1, 0, st>>>(a, step, found_inf, s, sched ? *sched : WarmupLinearSchedule{},
                                       sched ? sched_step : nullptr);
  CUDA_CHECK_LAUNCH();
  for_tables<AdamTable>(
      count, sizes,
      [&](AdamTable& t, int j, int k) {
        t.p[j] = p[k], t.g[j] = g[k], t.m[j] = m[k], t.v[j] = v[k];
      },
      [&](const AdamTable& t, int64_t largest) {
        adam_multi_kernel<<<grid_for(largest), kThreads, 0, st>>>(t, s);
        CUDA_CHECK_LAUNCH();
      });
}

void sgd_step(float* p, const float* g, float* buf, int64_t n, float lr, float momentum,
              float wd, bool first_step, const float* found_inf) {
  dev::launch_each(Sgd{p, g, buf, lr, momentum, wd, first_step, found_inf}, n);
}

void sgd_step_multi(float* const* p, const float* const* g, float* const* buf,
                    const int64_t* sizes, int count, float lr, float momentum, float wd,
                    int64_t* step, const float* found_inf, const WarmupLinearSchedule* sched,
                    int64_t* sched_step) {
  cudaStream_t st = stream();
  auto* f = static_cast<SgdFlags*>(workspace(sizeof(SgdFlags)));
  sgd_prepare_kernel<<<1, 1, 0, st>>>(step, found_inf, f, lr,
                                      sched ? *sched : WarmupLinearSchedule{},
                                      sched ? sched_step : nullptr);
  CUDA_CHECK_LAUNCH();
  for_tables<SgdTable>(
      count, sizes,
      [&](SgdTable& t, int j, int k) { t.p[j] = p[k], t.g[j] = g[k], t.buf[j] = buf[k]; },
      [&](const SgdTable& t, int64_t largest) {
        sgd_multi_kernel<<<grid_for(largest), kThreads, 0, st>>>(t, momentum, wd, f);
        CUDA_CHECK_LAUNCH();
      });
}

}  // namespace ss::cuda
