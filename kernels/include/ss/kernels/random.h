// Random fills driven by Philox, identical on CPU and CUDA for the same (seed, offset).
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
