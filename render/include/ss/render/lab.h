// sRGB (D65) <-> CIELAB conversion and the study's LAB normalisation, shared by the
// renderer and the data pipeline. Matches skimage.color.rgb2lab / lab2rgb (D65, 2 deg
// observer): sRGB in [0,1] (gamma encoded) -> linear RGB -> XYZ -> L*a*b*.
#pragma once
#include <cmath>
#include <cstddef>

namespace ss::render {

// The authors' per-channel normalisation of L, a, b (REFERENCE §2).
inline constexpr float kLabMean[3] = {38.44f, 3.03f, 4.77f};
inline constexpr float kLabStd[3] = {17.42f, 9.41f, 11.37f};

// D65 reference white (X, Y, Z) with Y = 1.
inline constexpr float kD65[3] = {0.95047f, 1.0f, 1.08883f};

inline float srgb_to_linear(float c) {
  return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}
inline float linear_to_srgb(float c) {
  return c <= 0.0031308f ? 12.92f * c : 1.055f * std::pow(c, 1.0f / 2.4f) - 0.055f;
}

namespace detail {
inline float lab_f(float t) {
  constexpr float e = 216.0f / 24389.0f;  // (6/29)^3
  return t > e ? std::cbrt(t) : (24389.0f / 27.0f * t + 16.0f) / 116.0f;
}
inline float lab_finv(float f) {
  constexpr float d = 6.0f / 29.0f;
  return f > d ? f * f * f : 3.0f * d * d * (f - 4.0f / 29.0f);
}
}  // namespace detail

// Linear RGB (sRGB primaries, D65) -> L*a*b*.
inline void linear_rgb_to_lab(const float rgb[3], float lab[3]) {
  float r = rgb[0], g = rgb[1], b = rgb[2];
  float X = 0.412453f * r + 0.357580f * g + 0.180423f * b;
  float Y = 0.212671f * r + 0.715160f * g + 0.072169f * b;
  float Z = 0.019334f * r + 0.119193f * g + 0.950227f * b;
  float fx = detail::lab_f(X / kD65[0]), fy = detail::lab_f(Y / kD65[1]),
        fz = detail::lab_f(Z / kD65[2]);
  lab[0] = 116.0f * fy - 16.0f;
  lab[1] = 500.0f * (fx - fy);
  lab[2] = 200.0f * (fy - fz);
}

// L*a*b* -> linear RGB (not clipped).
inline void lab_to_linear_rgb(const float lab[3], float rgb[3]) {
  float fy = (lab[0] + 16.0f) / 116.0f;
  float fx = fy + lab[1] / 500.0f;
  float fz = fy - lab[2] / 200.0f;
  float X = kD65[0] * detail::lab_finv(fx), Y = kD65[1] * detail::lab_finv(fy),
        Z = kD65[2] * detail::lab_finv(fz);
  rgb[0] = 3.240481f * X - 1.537152f * Y - 0.498536f * Z;
  rgb[1] = -0.969255f * X + 1.875990f * Y + 0.041556f * Z;
  rgb[2] = 0.055647f * X - 0.204041f * Y + 1.057311f * Z;
}

// Gamma-encoded sRGB in [0,1] -> L*a*b*.
inline void srgb_to_lab(const float srgb[3], float lab[3]) {
  float lin[3] = {srgb_to_linear(srgb[0]), srgb_to_linear(srgb[1]), srgb_to_linear(srgb[2])};
  linear_rgb_to_lab(lin, lab);
}

// L*a*b* -> gamma-encoded sRGB, clipped to [0,1].
inline void lab_to_srgb(const float lab[3], float srgb[3]) {
  float lin[3];
  lab_to_linear_rgb(lab, lin);
  for (int c = 0; c < 3; ++c) {
    float v = lin[c] < 0 ? 0 : (lin[c] > 1 ? 1 : lin[c]);
    srgb[c] = linear_to_srgb(v);
  }
}

inline void normalize_lab(float lab[3]) {
  for (int c = 0; c < 3; ++c) lab[c] = (lab[c] - kLabMean[c]) / kLabStd[c];
}
inline void denormalize_lab(float lab[3]) {
  for (int c = 0; c < 3; ++c) lab[c] = lab[c] * kLabStd[c] + kLabMean[c];
}

}  // namespace ss::render

namespace ss::render {
// Batch path used by the renderer: planar linear RGB (3 x n, clipped to [0,1]) ->
// planar normalised LAB (3 x n). Uses a fast cube root accurate to ~1e-7 relative,
// far below float16 resolution. Result agrees with linear_rgb_to_lab to ~1e-4.
void linear_rgb_to_normalized_lab(const float* rgb, float* lab, size_t n);
}  // namespace ss::render
