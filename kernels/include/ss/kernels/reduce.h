// Reductions. Outputs are written to memory on the same device as the inputs.
#pragma once
#include <cstdint>

namespace ss::cpu {
template <class T> void sum_all(const T* x, int64_t n, T* out);  // out[0] = sum(x)
// Reduce a [outer, len, inner] view over the middle axis: y[o,i] = sum_l x[o,l,i].
template <class T> void sum_axis(const T* x, int64_t outer, int64_t len, int64_t inner, T* y);
// Broadcast back: dx[o,l,i] = s * dy[o,i].
template <class T>
void broadcast_axis(const T* dy, int64_t outer, int64_t len, int64_t inner, T s, T* dx);
}  // namespace ss::cpu

namespace ss::cuda {
void sum_all(const float* x, int64_t n, float* out);
void sum_axis(const float* x, int64_t outer, int64_t len, int64_t inner, float* y);
void broadcast_axis(const float* dy, int64_t outer, int64_t len, int64_t inner, float s,
                    float* dx);
}  // namespace ss::cuda
