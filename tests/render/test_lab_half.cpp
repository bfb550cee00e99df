// Colour conversion (sRGB D65 <-> CIELAB, normalisation) and float16 conversion.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "ss/render/half.h"
#include "ss/render/lab.h"
#include "ss/render/rng.h"

using namespace ss::render;

TEST_CASE("LAB reference values (skimage rgb2lab, D65)") {
  float lab[3];
  float white[3] = {1, 1, 1}, black[3] = {0, 0, 0}, red[3] = {1, 0, 0}, grey[3] = {0.5f, 0.5f, 0.5f};
  srgb_to_lab(white, lab);
  CHECK(lab[0] == doctest::Approx(100.0).epsilon(1e-4));
  CHECK(std::abs(lab[1]) < 0.01f);
  CHECK(std::abs(lab[2]) < 0.01f);
  srgb_to_lab(black, lab);
  CHECK(std::abs(lab[0]) < 1e-4f);
  srgb_to_lab(red, lab);  // skimage: [53.2408, 80.0925, 67.2032]
  CHECK(lab[0] == doctest::Approx(53.2408).epsilon(1e-3));
  CHECK(lab[1] == doctest::Approx(80.0925).epsilon(1e-3));
  CHECK(lab[2] == doctest::Approx(67.2032).epsilon(1e-3));
  srgb_to_lab(grey, lab);  // skimage: L = 53.3890
  CHECK(lab[0] == doctest::Approx(53.389).epsilon(1e-3));
}

TEST_CASE("sRGB -> LAB -> sRGB round trip error is small") {
  float worst = 0;
  for (int r = 0; r <= 16; ++r)
    for (int g = 0; g <= 16; ++g)
      for (int b = 0; b <= 16; ++b) {
        float c[3] = {r / 16.f, g / 16.f, b / 16.f}, lab[3], back[3];
        srgb_to_lab(c, lab);
        normalize_lab(lab);
        denormalize_lab(lab);
        lab_to_srgb(lab, back);
        for (int k = 0; k < 3; ++k) worst = std::fmax(worst, std::abs(back[k] - c[k]));
      }
  CHECK(worst < 1e-3f);
}

TEST_CASE("batch linear RGB -> normalised LAB agrees with the reference path") {
  Rng rng(1, Domain::probe, 0);
  const size_t n = 4096;
  std::vector<float> rgb(3 * n), lab(3 * n);
  for (float& v : rgb) v = rng.uniform();
  rgb[0] = rgb[n] = rgb[2 * n] = 0;  // black
  rgb[1] = rgb[n + 1] = rgb[2 * n + 1] = 1;  // white
  linear_rgb_to_normalized_lab(rgb.data(), lab.data(), n);
  float worst = 0;
  for (size_t i = 0; i < n; ++i) {
    float c[3] = {rgb[i], rgb[n + i], rgb[2 * n + i]}, ref[3];
    linear_rgb_to_lab(c, ref);
    normalize_lab(ref);
    for (int k = 0; k < 3; ++k) worst = std::fmax(worst, std::abs(ref[k] - lab[k * n + i]));
  }
  CHECK(worst < 1e-4f);
  // Normalisation constants: white L = 100 -> (100 - 38.44) / 17.42.
  CHECK(lab[1] == doctest::Approx((100.0 - 38.44) / 17.42).epsilon(1e-4));
}

TEST_CASE("float16: exact round-to-nearest-even, F16C and portable paths agree") {
  CHECK(float_to_half(0.0f) == 0x0000);
  CHECK(float_to_half(-0.0f) == 0x8000);
  CHECK(float_to_half(1.0f) == 0x3C00);
  CHECK(float_to_half(-2.0f) == 0xC000);
  CHECK(float_to_half(65504.0f) == 0x7BFF);
  CHECK(float_to_half(1e6f) == 0x7C00);
  CHECK(float_to_half(5.9604645e-8f) == 0x0001);  // smallest subnormal
  CHECK(float_to_half(1.0f + 1.0f / 2048) == 0x3C00);  // tie -> even
  CHECK(float_to_half(1.0f + 3.0f / 2048) == 0x3C02);  // tie -> even (up)
  CHECK((float_to_half(std::nanf("")) & 0x7C00) == 0x7C00);
  Rng rng(2, Domain::probe, 1);
  const size_t n = 1 << 16;
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits = rng.next_u32();
    float f;
    std::memcpy(&f, &bits, 4);
    x[i] = std::isfinite(f) ? f : 1.0f;
    if (i % 3 == 0) x[i] = rng.normal(0, 4);  // the range LAB data lives in
  }
  std::vector<uint16_t> fast(n);
  floats_to_halves(x.data(), fast.data(), n);
  size_t mismatches = 0;
  float worst_rel = 0;
  for (size_t i = 0; i < n; ++i) {
    mismatches += fast[i] != float_to_half(x[i]);
    float a = std::abs(x[i]);
    if (a > 1e-4f && a < 60000.f)
      worst_rel = std::fmax(worst_rel, std::abs(half_to_float(fast[i]) - x[i]) / a);
  }
  CHECK(mismatches == 0);
  CHECK(worst_rel <= 1.0f / 2048 + 1e-7f);
}
