// Shadows of the objects on the background plane: project each light-facing triangle
// from the point light onto the plane z = kBackgroundZ, clip it where it would pass
// behind the light, and rasterise its coverage into a per-sample mask.
#include <algorithm>
#include <cmath>

#include "ss/render/renderer.h"

namespace ss::render {

void Renderer::rasterize_coverage(const float fx[3], const float fy[3]) {
  constexpr int kSub = 16;
  int32_t X[3], Y[3];
  for (int i = 0; i < 3; ++i) {
    X[i] = int32_t(std::lrint(std::clamp(fx[i], -4.0f * ns_, 5.0f * ns_) * kSub));
    Y[i] = int32_t(std::lrint(std::clamp(fy[i], -4.0f * ns_, 5.0f * ns_) * kSub));
  }
  int64_t area = int64_t(X[1] - X[0]) * (Y[2] - Y[0]) - int64_t(Y[1] - Y[0]) * (X[2] - X[0]);
  if (area == 0) return;
  if (area < 0) {
    std::swap(X[1], X[2]);
    std::swap(Y[1], Y[2]);
  }
  int minX = std::min({X[0], X[1], X[2]}), maxX = std::max({X[0], X[1], X[2]});
  int minY = std::min({Y[0], Y[1], Y[2]}), maxY = std::max({Y[0], Y[1], Y[2]});
  int x0 = std::max(0, (minX - kSub / 2 + kSub - 1) >> 4), x1 = std::min(ns_ - 1, (maxX - kSub / 2) >> 4);
  int y0 = std::max(0, (minY - kSub / 2 + kSub - 1) >> 4), y1 = std::min(ns_ - 1, (maxY - kSub / 2) >> 4);
  if (x0 > x1 || y0 > y1) return;
  int32_t A[3], B[3], E[3];
  const int64_t px = int64_t(x0) * kSub + kSub / 2, py = int64_t(y0) * kSub + kSub / 2;
  for (int k = 0; k < 3; ++k) {
    int i = (k + 1) % 3, j = (k + 2) % 3;
    A[k] = Y[i] - Y[j];
    B[k] = X[j] - X[i];
    int64_t C = int64_t(Y[j] - Y[i]) * X[i] - int64_t(X[j] - X[i]) * Y[i];
    E[k] = int32_t(A[k] * px + B[k] * py + C);  // overlapping coverage: no tie rule needed
  }
  for (int y = y0; y <= y1; ++y) {
    int32_t e0 = E[0], e1 = E[1], e2 = E[2];
    uint8_t* row = shadow_.data() + size_t(y) * ns_;
    for (int x = x0; x <= x1; ++x) {
      row[x] |= uint8_t((e0 | e1 | e2) >= 0);
      e0 += A[0] * kSub;
      e1 += A[1] * kSub;
      e2 += A[2] * kSub;
    }
    E[0] += B[0] * kSub;
    E[1] += B[1] * kSub;
    E[2] += B[2] * kSub;
  }
}

void Renderer::cast_shadows(const Scene& sc) {
  std::fill(shadow_.begin(), shadow_.end(), uint8_t(0));
  const V3 L = sc.light;
  if (L.z >= kBackgroundZ) return;
  const float zmin = L.z + 0.05f, half = 0.5f * float(ns_);
  // Projects a camera-space point (in front of the light) to sample coordinates of its
  // shadow on the plane.
  auto project = [&](V3 v, float& sx, float& sy) {
    float t = (kBackgroundZ - L.z) / (v.z - L.z);
    V3 s = L + (v - L) * t;
    sx = half + focal_ * s.x / kBackgroundZ;
    sy = half - focal_ * s.y / kBackgroundZ;
  };
  for (const auto& tri : shadow_tris_) {
    V3 p[3] = {verts_[tri[0]].cam, verts_[tri[1]].cam, verts_[tri[2]].cam};
    if (dot(cross(p[1] - p[0], p[2] - p[0]), p[0] - L) >= 0) continue;  // faces away from light
    // Clip against z >= zmin (Sutherland-Hodgman, one plane -> at most 4 vertices).
    V3 poly[4];
    int n = 0;
    for (int i = 0; i < 3; ++i) {
      V3 a = p[i], b = p[(i + 1) % 3];
      bool ina = a.z >= zmin, inb = b.z >= zmin;
      if (ina) poly[n++] = a;
      if (ina != inb) poly[n++] = a + (b - a) * ((zmin - a.z) / (b.z - a.z));
    }
    if (n < 3) continue;
    float sx[4], sy[4];
    for (int i = 0; i < n; ++i) project(poly[i], sx[i], sy[i]);
    float tx[3] = {sx[0], sx[1], sx[2]}, ty[3] = {sy[0], sy[1], sy[2]};
    rasterize_coverage(tx, ty);
    if (n == 4) {
      float ux[3] = {sx[0], sx[2], sx[3]}, uy[3] = {sy[0], sy[2], sy[3]};
      rasterize_coverage(ux, uy);
    }
  }
}

}  // namespace ss::render
