// Geometry: known primitives at known poses give the expected silhouette and depth;
// every class mesh is closed-ish and outward facing; the camera model is consistent.
#include <doctest/doctest.h>

#include <cmath>

#include "ss/render/mesh.h"
#include "ss/render/shapes.h"
#include "test_render_util.h"

using namespace ss::render;
using ss::render::testing::render_scene;
using ss::render::testing::Rendered;

namespace {
// A scene holding one custom mesh, unrotated in camera space.
Scene one_mesh_scene(const Mesh& m, V3 centre) {
  Scene sc;
  ObjectSpec o;
  o.custom_mesh = &m;
  o.rot = transpose(canonical_view());  // cancels the canonical view: identity in camera space
  o.centre = centre;
  o.cls = 3;
  sc.objects.push_back(o);
  sc.light = {0, 0, 0};  // light at the camera: no shadow visible behind the object
  return sc;
}
}  // namespace

TEST_CASE("cube facing the camera: square silhouette and front-face depth") {
  const float h = 0.25f, z0 = 2.0f;
  const int res = 64;
  Mesh m;
  add_box(m, at({0, 0, 0}), {h, h, h});
  Rendered img = render_scene(one_mesh_scene(m, {0, 0, z0}), res);
  Renderer r(res);
  float side = 2 * h * r.focal_pixels() / (z0 - h);  // front face, in output pixels
  float area = float(img.covered_samples) / 4.0f;
  CHECK(area == doctest::Approx(side * side).epsilon(0.03));
  // Centre pixel: depth of the front face, class label, instance 1.
  size_t c = size_t(res / 2) * res + res / 2;
  CHECK(std::abs(int(img.depth[c]) - int(std::lround((z0 - h) * 100))) <= 1);
  CHECK(img.inst[c] == 1);
  CHECK(img.sem[c] == 4);
  // Corners are background at the plane depth.
  CHECK(img.inst[0] == 0);
  CHECK(img.depth[0] == 250);
}

TEST_CASE("sphere: circular silhouette of the perspective radius, centre depth d - r") {
  const float rad = 0.3f, d = 1.9f;
  const int res = 64;
  Mesh m;
  add_ellipsoid(m, at({0, 0, 0}), {rad, rad, rad}, 64, 40);
  Rendered img = render_scene(one_mesh_scene(m, {0, 0, d}), res);
  Renderer r(res);
  float rimg = r.focal_pixels() * rad / std::sqrt(d * d - rad * rad);
  float area = float(img.covered_samples) / 4.0f;
  CHECK(area == doctest::Approx(3.14159265f * rimg * rimg).epsilon(0.03));
  size_t c = size_t(res / 2) * res + res / 2;
  CHECK(std::abs(int(img.depth[c]) - int(std::lround((d - rad) * 100))) <= 1);
  // Silhouette centred: the mask's centroid is the image centre.
  double sx = 0, sy = 0, n = 0;
  for (int y = 0; y < res; ++y)
    for (int x = 0; x < res; ++x)
      if (img.inst[size_t(y) * res + x]) sx += x + 0.5, sy += y + 0.5, n += 1;
  CHECK(sx / n == doctest::Approx(res / 2.0).epsilon(0.01));
  CHECK(sy / n == doctest::Approx(res / 2.0).epsilon(0.01));
}

TEST_CASE("an off-centre sphere lands where the pinhole model says") {
  const int res = 64;
  Mesh m;
  add_ellipsoid(m, at({0, 0, 0}), {0.1f, 0.1f, 0.1f}, 32, 20);
  V3 c{0.3f, -0.2f, 2.0f};
  Rendered img = render_scene(one_mesh_scene(m, c), res);
  Renderer r(res);
  float f = r.focal_pixels();
  float ex = res / 2.0f + f * c.x / c.z, ey = res / 2.0f - f * c.y / c.z;
  double sx = 0, sy = 0, n = 0;
  for (int y = 0; y < res; ++y)
    for (int x = 0; x < res; ++x)
      if (img.inst[size_t(y) * res + x]) sx += x + 0.5, sy += y + 0.5, n += 1;
  REQUIRE(n > 0);
  CHECK(std::abs(sx / n - ex) < 0.6);
  CHECK(std::abs(sy / n - ey) < 0.6);
  V3 ray = r.pixel_ray(ex, ey);
  CHECK(ray.x / ray.z == doctest::Approx(c.x / c.z).epsilon(1e-4));
}

TEST_CASE("supersampling anti-aliases edges: a half-covered pixel is a blend") {
  const int res = 32;
  Mesh m;
  add_box(m, at({0, 0, 0}), {0.2f, 0.2f, 0.2f});
  Rendered img = render_scene(one_mesh_scene(m, {0, 0, 2.0f}), res);
  // Along the middle row there must be at least one pixel strictly between the
  // object's and the background's colour (edge pixel).
  int y = res / 2;
  float obj = img.rgb[size_t(y) * res + res / 2], bg = img.rgb[size_t(y) * res + 0];
  bool blended = false;
  for (int x = 0; x < res; ++x) {
    float v = img.rgb[size_t(y) * res + x];
    if (std::abs(v - obj) > 0.02f && std::abs(v - bg) > 0.02f) blended = true;
  }
  CHECK(blended);
}

TEST_CASE("every class builds closed, outward-facing meshes of unit diagonal") {
  for (int cls = 0; cls < kNumClasses; ++cls) {
    for (uint64_t id : {0ull, 7ull, 1000ull, 3071ull}) {
      Mesh m;
      build_shape(cls, kShapeLibrarySeed, id, m);
      CAPTURE(class_name(cls));
      CAPTURE(id);
      CHECK(m.triangles() > 20);
      CHECK(m.triangles() < 4000);
      CHECK(signed_volume(m) > 0);
      V3 lo, hi;
      mesh_bounds(m, lo, hi);
      CHECK(length(hi - lo) == doctest::Approx(1.0f).epsilon(1e-4));
      CHECK(length((hi + lo) * 0.5f) < 1e-4f);
    }
  }
}

TEST_CASE("shape instances vary within a class and are deterministic") {
  for (int cls = 0; cls < kNumClasses; ++cls) {
    Mesh a, b, c;
    build_shape(cls, kShapeLibrarySeed, 1, a);
    build_shape(cls, kShapeLibrarySeed, 2, b);
    build_shape(cls, kShapeLibrarySeed, 1, c);
    V3 la, ha, lb, hb;
    mesh_bounds(a, la, ha);
    mesh_bounds(b, lb, hb);
    CAPTURE(class_name(cls));
    CHECK((a.vertices() != b.vertices() || length((ha - la) - (hb - lb)) > 1e-3f));
    REQUIRE(a.vertices() == c.vertices());
    size_t diff = 0;
    for (size_t i = 0; i < a.vertices(); ++i) diff += length(a.pos[i] - c.pos[i]) != 0.0f;
    CHECK(diff == 0);
  }
}
