// The factor bits do what they say (REFERENCE §2: T C V L).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ss/kernels/error.h"
#include "ss/render/shapes.h"
#include "test_render_util.h"

using namespace ss::render;
using ss::render::testing::hue_of;
using ss::render::testing::render_scene;
using ss::render::testing::Rendered;

namespace {
// Mean linear colour of the pixels labelled as the (single) object.
V3 object_mean(const Rendered& img) {
  size_t n = img.inst.size();
  V3 s{0, 0, 0};
  int k = 0;
  for (size_t p = 0; p < n; ++p)
    if (img.inst[p]) {
      s = s + V3{img.rgb[p], img.rgb[n + p], img.rgb[2 * n + p]};
      ++k;
    }
  return k ? s * (1.0f / float(k)) : s;
}
// Circular spread (1 - mean resultant length) of hues in [0,1).
double hue_spread(const std::vector<float>& h) {
  double c = 0, s = 0;
  for (float x : h) c += std::cos(6.2831853 * x), s += std::sin(6.2831853 * x);
  return 1.0 - std::sqrt(c * c + s * s) / double(h.size());
}
// Spread of surface colour over the pixels labelled `inst`: the median absolute
// deviation of chromaticity (r, g) / (r + g + b). Lighting is white, so an untextured
// surface has one chromaticity everywhere (bar specular highlights).
double chroma_spread(const Rendered& img, int inst) {
  size_t n = img.inst.size();
  std::vector<float> cr, cg;
  for (size_t p = 0; p < n; ++p) {
    if (img.inst[p] != inst) continue;
    float r = img.rgb[p], g = img.rgb[n + p], b = img.rgb[2 * n + p], s = r + g + b;
    if (s < 0.05f) continue;
    cr.push_back(r / s);
    cg.push_back(g / s);
  }
  if (cr.size() < 10) return 0;
  auto mad = [](std::vector<float> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    float med = v[v.size() / 2];
    for (float& x : v) x = std::abs(x - med);
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return double(v[v.size() / 2]);
  };
  return mad(cr) + mad(cg);
}
}  // namespace

TEST_CASE("bits parse in the order T C V L and bad bits are a clear error") {
  Factors f = Factors::parse("1011");
  CHECK(f.texture);
  CHECK_FALSE(f.random_colour);
  CHECK(f.random_view);
  CHECK(f.random_light);
  CHECK(f.bits() == "1011");
  for (int b = 0; b < 16; ++b) {
    std::string s;
    for (int k = 3; k >= 0; --k) s += ((b >> k) & 1) ? '1' : '0';
    CHECK(Factors::parse(s).bits() == s);
  }
  CHECK(authors_sets().size() == 12);
  for (const char* bad : {"", "101", "10111", "10a1", "abcd"})
    CHECK_THROWS_WITH_AS(Factors::parse(bad), doctest::Contains("unknown dataset bits"), ss::Error);
}

TEST_CASE("C off: per-class hue clusters tightly and C on: colours spread") {
  for (const char* bits : {"0000", "0100"}) {
    SceneConfig cfg{Factors::parse(bits), false, 11, 1200};
    std::vector<std::vector<float>> hues(kNumClasses);
    for (int64_t i = 0; i < 200; ++i) {
      Scene sc = sample_scene(cfg, i);
      V3 m = object_mean(render_scene(sc, 32));
      hues[sc.objects[0].cls].push_back(hue_of(m.x, m.y, m.z));
    }
    CAPTURE(std::string(bits));
    double worst = 0, mean = 0;
    for (int c = 0; c < kNumClasses; ++c) {
      double s = hue_spread(hues[c]);
      worst = std::max(worst, s);
      mean += s / kNumClasses;
    }
    if (bits[1] == '0') {
      CHECK(worst < 0.02);  // ~ +-0.03 in hue
    } else {
      CHECK(mean > 0.3);
    }
  }
}

TEST_CASE("V off: rot_mat near identity and V on: spread like N(0, 0.5) per Euler angle") {
  for (const char* bits : {"0000", "0010"}) {
    SceneConfig cfg{Factors::parse(bits), false, 12, 1200};
    double max_angle = 0, mean_angle = 0;
    for (int64_t i = 0; i < 300; ++i) {
      M3 r = sample_scene(cfg, i).objects[0].rot;
      double m[9];
      for (int k = 0; k < 9; ++k) m[k] = r.m[k / 3][k % 3];
      double a = rotation_angle(m);
      max_angle = std::max(max_angle, a);
      mean_angle += a / 300;
    }
    CAPTURE(std::string(bits));
    if (bits[2] == '0') {
      CHECK(max_angle < 0.3);
    } else {
      CHECK(mean_angle > 0.6);
      CHECK(max_angle > 1.5);
    }
  }
}

TEST_CASE("L off: the same object is lit identically in two scenes and L on: it is not") {
  for (const char* bits : {"0000", "0001"}) {
    SceneConfig cfg{Factors::parse(bits), false, 13, 1200};
    Scene a = sample_scene(cfg, 10), b = sample_scene(cfg, 20);
    b.objects = a.objects;  // same object, same pose; other background and light draw
    Rendered ra = render_scene(a, 64), rb = render_scene(b, 64);
    double diff = 0;
    int k = 0;
    size_t n = ra.inst.size();
    const size_t R = 64;
    for (size_t p = R + 1; p + R + 1 < n; ++p)
      if (ra.inst[p] && ra.inst[p - 1] && ra.inst[p + 1] && ra.inst[p - R] && ra.inst[p + R]) {
        for (int c = 0; c < 3; ++c) diff += std::abs(ra.rgb[c * n + p] - rb.rgb[c * n + p]);
        ++k;
      }
    REQUIRE(k > 50);
    CAPTURE(std::string(bits));
    if (bits[3] == '0') {
      CHECK(diff / k < 1e-3);  // only thin parts' edge samples see the other backdrop
    } else {
      CHECK(diff / k > 0.01);
    }
  }
}

TEST_CASE("T off: untextured, smooth surfaces and T on: textured object and background") {
  for (const char* bits : {"0000", "1000"}) {
    SceneConfig cfg{Factors::parse(bits), false, 14, 1200};
    double obj = 0, bg = 0;
    const int n = 40;
    for (int64_t i = 0; i < n; ++i) {
      Scene sc = sample_scene(cfg, i);
      CHECK((sc.objects[0].texture.kind == TextureKind::none) == (bits[0] == '0'));
      Rendered img = render_scene(sc, 64);
      obj += chroma_spread(img, 1) / n;
      bg += chroma_spread(img, 0) / n;
    }
    CAPTURE(std::string(bits));
    MESSAGE(std::string(bits), ": object colour spread ", obj, ", background colour spread ", bg);
    if (bits[0] == '0') {
      CHECK(obj < 0.002);
      CHECK(bg < 0.002);
    } else {
      CHECK(obj > 0.01);
      CHECK(bg > 0.005);  // T off: ~1e-8
    }
  }
}

TEST_CASE("every one of the 16 factor combinations renders") {
  for (int b = 0; b < 16; ++b) {
    std::string s;
    for (int k = 3; k >= 0; --k) s += ((b >> k) & 1) ? '1' : '0';
    for (bool multi : {false, true}) {
      SceneConfig cfg{Factors::parse(s), multi, 15, 240};
      Rendered img = render_scene(sample_scene(cfg, 3), 32);
      int obj = 0;
      for (uint8_t v : img.inst) obj += v != 0;
      CAPTURE(s);
      CHECK(obj > 5);
    }
  }
}
