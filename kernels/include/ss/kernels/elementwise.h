// Elementwise arithmetic, channel bias, strided copies (permute/slice/concat), rot90,
// and dtype casts for fp16/bf16 storage.
#pragma once
#include <cstdint>

namespace ss {
constexpr int kMaxDims = 6;
// Strided copy descriptor: dst[i] = src[i] over a `ndim`-dim index space.
struct StridedCopy {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t src_stride[kMaxDims] = {};
  int64_t dst_stride[kMaxDims] = {};
};
enum class CastKind { F32toF16, F16toF32, F32toBF16, BF16toF32 };
}  // namespace ss

namespace ss::cpu {
template <class T> void fill(T* y, int64_t n, T value);
template <class T> void add(const T* a, const T* b, T* y, int64_t n);  // y = a + b
template <class T> void sub(const T* a, const T* b, T* y, int64_t n);  // y = a - b
template <class T> void mul(const T* a, const T* b, T* y, int64_t n);  // y = a * b
template <class T> void scale(const T* x, T s, T* y, int64_t n);       // y = s * x
template <class T> void axpy(T a, const T* x, T* y, int64_t n);        // y += a * x
// y[n,c,i] += bias[c] over N×C×inner.
template <class T> void bias_add(T* y, const T* bias, int64_t N, int C, int64_t inner);
// db[c] = sum_{n,i} dy[n,c,i]; overwrites db.
template <class T> void bias_grad(const T* dy, int64_t N, int C, int64_t inner, T* db);
template <class T> void copy_strided(const StridedCopy& d, const T* src, T* dst);
// Rotate each H×W plane of NC planes by k*90 degrees counter-clockwise (torch.rot90 on
// dims (2,3)). For odd k the output planes are W×H.
template <class T> void rot90(const T* x, int64_t NC, int H, int W, int k, T* y);
void cast(CastKind kind, const void* src, void* dst, int64_t n);
// The scalar binary16 codec behind cast (round to nearest even; NaN -> quiet NaN).
uint16_t f32_to_f16(float f);
float f16_to_f32(uint16_t h);
}  // namespace ss::cpu

namespace ss::cuda {
void fill(float* y, int64_t n, float value);
void add(const float* a, const float* b, float* y, int64_t n);
void sub(const float* a, const float* b, float* y, int64_t n);
void mul(const float* a, const float* b, float* y, int64_t n);
void scale(const float* x, float s, float* y, int64_t n);
void axpy(float a, const float* x, float* y, int64_t n);
void bias_add(float* y, const float* bias, int64_t N, int C, int64_t inner);
void bias_grad(const float* dy, int64_t N, int C, int64_t inner, float* db);
// Element size in bytes selects the copy width (1, 2, 4 or 8).
void copy_strided(const StridedCopy& d, const void* src, void* dst, int elem_size);
void rot90(const float* x, int64_t NC, int H, int W, int k, float* y);
void cast(CastKind kind, const void* src, void* dst, int64_t n);
}  // namespace ss::cuda
