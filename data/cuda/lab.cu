// sRGB <-> normalised LAB on the GPU: the renderer's formulas (render/include/ss/render/
// lab.h) with the same constants, checked at compile time below.
#include <cuda_runtime.h>

#include <algorithm>

#include "ss/data/gpu.h"
#include "ss/kernels/error.h"
#include "ss/render/lab.h"

namespace ss::cuda {
cudaStream_t stream();
}

namespace ss::data::gpu {

namespace {

// Scalars (namespace-scope constexpr arrays are not visible in device code).
constexpr float kMeanL = 38.44f, kMeanA = 3.03f, kMeanB = 4.77f;
constexpr float kStdL = 17.42f, kStdA = 9.41f, kStdB = 11.37f;
constexpr float kWhiteX = 0.95047f, kWhiteY = 1.0f, kWhiteZ = 1.08883f;
static_assert(kMeanL == ss::render::kLabMean[0] && kMeanA == ss::render::kLabMean[1] &&
              kMeanB == ss::render::kLabMean[2], "LAB mean differs from the renderer's");
static_assert(kStdL == ss::render::kLabStd[0] && kStdA == ss::render::kLabStd[1] &&
              kStdB == ss::render::kLabStd[2], "LAB std differs from the renderer's");
static_assert(kWhiteX == ss::render::kD65[0] && kWhiteY == ss::render::kD65[1] &&
              kWhiteZ == ss::render::kD65[2], "D65 white differs from the renderer's");

__device__ __forceinline__ float to_linear(float c) {
  return c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f);
}
__device__ __forceinline__ float to_srgb(float c) {
  return c <= 0.0031308f ? 12.92f * c : 1.055f * powf(c, 1.0f / 2.4f) - 0.055f;
}
__device__ __forceinline__ float lab_f(float t) {
  constexpr float e = 216.0f / 24389.0f;
  return t > e ? cbrtf(t) : (24389.0f / 27.0f * t + 16.0f) / 116.0f;
}
__device__ __forceinline__ float lab_finv(float f) {
  constexpr float d = 6.0f / 29.0f;
  return f > d ? f * f * f : 3.0f * d * d * (f - 4.0f / 29.0f);
}

__global__ void srgb_to_lab_kernel(const float* rgb, float* lab, int64_t n, int64_t plane) {
  const int64_t total = n * plane;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t s = i / plane, p = i - s * plane, o = s * 3 * plane + p;
    const float r = to_linear(rgb[o]), g = to_linear(rgb[o + plane]), b = to_linear(rgb[o + 2 * plane]);
    const float X = 0.412453f * r + 0.357580f * g + 0.180423f * b;
    const float Y = 0.212671f * r + 0.715160f * g + 0.072169f * b;
    const float Z = 0.019334f * r + 0.119193f * g + 0.950227f * b;
    const float fx = lab_f(X / kWhiteX), fy = lab_f(Y / kWhiteY), fz = lab_f(Z / kWhiteZ);
    lab[o] = (116.0f * fy - 16.0f - kMeanL) / kStdL;
    lab[o + plane] = (500.0f * (fx - fy) - kMeanA) / kStdA;
    lab[o + 2 * plane] = (200.0f * (fy - fz) - kMeanB) / kStdB;
  }
}

__global__ void lab_to_srgb_kernel(const float* lab, float* rgb, int64_t n, int64_t plane) {
  const int64_t total = n * plane;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t s = i / plane, p = i - s * plane, o = s * 3 * plane + p;
    const float L = lab[o] * kStdL + kMeanL, A = lab[o + plane] * kStdA + kMeanA,
                B = lab[o + 2 * plane] * kStdB + kMeanB;
    const float fy = (L + 16.0f) / 116.0f, fx = fy + A / 500.0f, fz = fy - B / 200.0f;
    const float X = kWhiteX * lab_finv(fx), Y = kWhiteY * lab_finv(fy), Z = kWhiteZ * lab_finv(fz);
    const float lin[3] = {3.240481f * X - 1.537152f * Y - 0.498536f * Z,
                          -0.969255f * X + 1.875990f * Y + 0.041556f * Z,
                          0.055647f * X - 0.204041f * Y + 1.057311f * Z};
    for (int c = 0; c < 3; ++c) rgb[o + c * plane] = to_srgb(fminf(fmaxf(lin[c], 0.0f), 1.0f));
  }
}

unsigned grid_for(int64_t n) {
  return unsigned(std::max<int64_t>(1, std::min<int64_t>((n + 255) / 256, 8192)));
}

void check_launch(const char* what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) SS_FAIL("CUDA error ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ") launching ", what);
}

}  // namespace

void srgb_to_lab(const float* rgb, float* lab, int64_t n, int64_t plane) {
  if (n * plane == 0) return;
  srgb_to_lab_kernel<<<grid_for(n * plane), 256, 0, ss::cuda::stream()>>>(rgb, lab, n, plane);
  check_launch("srgb_to_lab_kernel");
}

void lab_to_srgb(const float* lab, float* rgb, int64_t n, int64_t plane) {
  if (n * plane == 0) return;
  lab_to_srgb_kernel<<<grid_for(n * plane), 256, 0, ss::cuda::stream()>>>(lab, rgb, n, plane);
  check_launch("lab_to_srgb_kernel");
}

}  // namespace ss::data::gpu
