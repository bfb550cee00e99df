// Random fills driven by Philox, identical on CPU and CUDA for the same (seed, offset).
// u_i = philox::uniform(seed, offset, i) (philox.h: counter offset + i/4, lane i%4).
// fill_uniform: y[i] = lo + (hi - lo) * u_i, in float, each operation rounded separately
//   (no FMA), so CPU and CUDA agree bit for bit.
// fill_normal (Box-Muller, elements 2j and 2j+1 share one pair of uniforms), in float:
//   u1 = u_{2j}, u2 = u_{2j+1}
//   r  = sqrt(-2 * log(max(u1, 1e-7f)))
//   th = 6.2831853071795864f * u2
//   y[2j] = mean + std * (r * cos(th)),  y[2j+1] = mean + std * (r * sin(th))  (if < n)
//   log/cos/sin are libm (CPU) vs double-evaluated-then-rounded (CUDA): normals may differ
//   in the last bit, never more than a few ulp.
#pragma once
#include <cstdint>

namespace ss::cpu {
template <class T> void fill_uniform(T* y, int64_t n, uint64_t seed, uint64_t offset, T lo, T hi);
// Box-Muller on pairs of uniforms; elements 2j and 2j+1 share one pair.
template <class T>
void fill_normal(T* y, int64_t n, uint64_t seed, uint64_t offset, T mean, T std);
}  // namespace ss::cpu

namespace ss::cuda {
void fill_uniform(float* y, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi);
void fill_normal(float* y, int64_t n, uint64_t seed, uint64_t offset, float mean, float std);
}  // namespace ss::cuda
