// Philox fills, same numbers as kernels/cpu/random.cpp for the same (seed, offset).
// A thread owns one Philox block (4 consecutive elements, counter offset + i/4), so each
// 128-bit draw is computed once; element i uses lane i%4 exactly as philox::uniform does.
#include <cmath>

#include "device_util.cuh"
#include "ss/kernels/philox.h"
#include "ss/kernels/random.h"

namespace ss::cuda {
namespace {

// y = lo + (hi - lo) * u, each operation rounded like the CPU (no FMA): bit-identical.
struct Uniform {
  float* y;
  int64_t n;
  uint64_t seed, offset;
  float lo, span;
  __device__ void operator()(int64_t q) const {
    const philox::U4 r = philox::philox4x32(offset + uint64_t(q), seed);
#pragma unroll
    for (int l = 0; l < 4; ++l) {
      const int64_t i = 4 * q + l;
      if (i < n) y[i] = __fadd_rn(lo, __fmul_rn(span, philox::to_unit(r.x[l])));
    }
  }
};

// Box-Muller as in random.h. The CPU evaluates logf/cosf/sinf in glibc; here they are
// evaluated in double and rounded once, i.e. correctly rounded in practice, which agrees
// with glibc's (sub-ulp) results far more often than CUDA's 1–2 ulp float versions.
// Normals may therefore differ from the CPU in the last bit; uniforms never do.
struct Normal {
  float* y;
  int64_t n;
  uint64_t seed, offset;
  float mean, std;
  __device__ void operator()(int64_t q) const {
    const philox::U4 r = philox::philox4x32(offset + uint64_t(q), seed);
#pragma unroll
    for (int h = 0; h < 2; ++h) {  // pairs (4q, 4q+1) and (4q+2, 4q+3)
      const int64_t i = 4 * q + 2 * h;
      if (i >= n) break;
      const float u1 = philox::to_unit(r.x[2 * h]), u2 = philox::to_unit(r.x[2 * h + 1]);
      const float lg = float(log(double(fmaxf(u1, 1e-7f))));
      const float rad = __fsqrt_rn(__fmul_rn(-2.0f, lg));
      const float th = __fmul_rn(6.2831853071795864f, u2);
      const float c = float(cos(double(th))), s = float(sin(double(th)));
      y[i] = __fadd_rn(mean, __fmul_rn(std, __fmul_rn(rad, c)));
      if (i + 1 < n) y[i + 1] = __fadd_rn(mean, __fmul_rn(std, __fmul_rn(rad, s)));
    }
  }
};

}  // namespace

void fill_uniform(float* y, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  if (n <= 0) return;
  // hi - lo is one float subtraction on the CPU as well.
  dev::launch_each(Uniform{y, n, seed, offset, lo, hi - lo}, (n + 3) / 4);
}

void fill_normal(float* y, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  if (n <= 0) return;
  dev::launch_each(Normal{y, n, seed, offset, mean, std}, (n + 3) / 4);
}

}  // namespace ss::cuda
