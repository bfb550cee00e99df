#include "ss/render/lab.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace ss::render {

namespace {
// Cube root for t in (0.008856, ~1.1]: exponent-bit initial guess, then two Halley
// steps (cubic convergence): relative error < 1e-7.
inline float fast_cbrt(float t) {
  uint32_t i;
  std::memcpy(&i, &t, 4);
  i = i / 3 + 709921077u;
  float y;
  std::memcpy(&y, &i, 4);
  for (int k = 0; k < 2; ++k) {
    float y3 = y * y * y;
    y = y * (y3 + 2.0f * t) / (2.0f * y3 + t);
  }
  return y;
}
inline float lab_f_fast(float t) {
  constexpr float e = 216.0f / 24389.0f;
  float c = fast_cbrt(std::max(t, e));  // branch-free, so the loop vectorises
  float l = (24389.0f / 27.0f / 116.0f) * t + 16.0f / 116.0f;
  return t > e ? c : l;
}
}  // namespace

void linear_rgb_to_normalized_lab(const float* rgb, float* lab, size_t n) {
  const float *R = rgb, *G = rgb + n, *B = rgb + 2 * n;
  float *L = lab, *A = lab + n, *Bb = lab + 2 * n;
  for (size_t i = 0; i < n; ++i) {
    float r = R[i], g = G[i], b = B[i];
    float X = (0.412453f * r + 0.357580f * g + 0.180423f * b) * (1.0f / kD65[0]);
    float Y = 0.212671f * r + 0.715160f * g + 0.072169f * b;
    float Z = (0.019334f * r + 0.119193f * g + 0.950227f * b) * (1.0f / kD65[2]);
    float fx = lab_f_fast(X), fy = lab_f_fast(Y), fz = lab_f_fast(Z);
    L[i] = (116.0f * fy - 16.0f - kLabMean[0]) * (1.0f / kLabStd[0]);
    A[i] = (500.0f * (fx - fy) - kLabMean[1]) * (1.0f / kLabStd[1]);
    Bb[i] = (200.0f * (fy - fz) - kLabMean[2]) * (1.0f / kLabStd[2]);
  }
}

}  // namespace ss::render
