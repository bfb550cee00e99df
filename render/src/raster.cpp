// Geometry stage: mesh building, camera transform, back-face culling and the
// visibility-buffer rasteriser (integer edge functions, 4 sub-sample bits, top-left
// ownership so shared edges are drawn exactly once: no cracks, no double hits).
#include <algorithm>
#include <cmath>

#include "ss/kernels/error.h"
#include "ss/render/renderer.h"
#include "ss/render/shapes.h"

namespace ss::render {

namespace {
constexpr int kSub = 16;                               // fixed-point sub-sample steps
}  // namespace

Renderer::Renderer(int res) : res_(res), ns_(2 * res) {
  SS_CHECK(res >= 4 && res <= 1024, "render resolution ", res, " outside [4, 1024]");
  focal_ = 0.5f * float(ns_) / std::tan(0.5f * kFovDegrees * 3.14159265f / 180.0f);
  zbuf_.resize(size_t(ns_) * ns_);
  tbuf_.resize(size_t(ns_) * ns_);
  shadow_.resize(size_t(ns_) * ns_);
}

float Renderer::focal_pixels() const { return focal_ * 0.5f; }

V3 Renderer::pixel_ray(float x, float y) const {
  float f = focal_pixels(), c = 0.5f * float(res_);
  return {(x - c) / f, -(y - c) / f, 1.0f};
}

void Renderer::add_object(const ObjectSpec& o, int index) {
  if (o.custom_mesh)
    mesh_ = *o.custom_mesh;
  else
    build_shape(o.cls, kShapeLibrarySeed, o.shape_id, mesh_);
  M3 view = canonical_view() * o.rot;
  M3 pm = view * diag(o.scale * o.size);
  M3 nm = view * diag({1.0f / o.scale.x, 1.0f / o.scale.y, 1.0f / o.scale.z});
  uint32_t base = static_cast<uint32_t>(verts_.size());
  const float half = 0.5f * float(ns_);
  for (size_t i = 0; i < mesh_.vertices(); ++i) {
    Vert v;
    v.obj = mesh_.pos[i];
    v.cam = o.centre + pm * mesh_.pos[i];
    v.nrm = normalize(nm * mesh_.nrm[i]);
    v.iz = 1.0f / v.cam.z;
    v.sx = half + focal_ * v.cam.x * v.iz;
    v.sy = half - focal_ * v.cam.y * v.iz;
    verts_.push_back(v);
  }
  for (size_t t = 0; t < mesh_.triangles(); ++t) {
    uint32_t a = base + mesh_.idx[3 * t], b = base + mesh_.idx[3 * t + 1], c = base + mesh_.idx[3 * t + 2];
    ++stats_.triangles;
    shadow_tris_.push_back({a, b, c});
    const V3 &p0 = verts_[a].cam, &p1 = verts_[b].cam, &p2 = verts_[c].cam;
    if (dot(cross(p1 - p0, p2 - p0), p0) >= 0) continue;  // back face
    Tri tri;
    tri.v[0] = a; tri.v[1] = b; tri.v[2] = c;
    tri.key = (uint32_t(index) << 16) | mesh_.part[t];
    tris_.push_back(tri);
    tri_object_.push_back(index);
    rasterize(static_cast<uint32_t>(tris_.size() - 1));
  }
}

void Renderer::rasterize(uint32_t t) {
  Tri& tri = tris_[t];
  const Vert* v[3] = {&verts_[tri.v[0]], &verts_[tri.v[1]], &verts_[tri.v[2]]};
  int32_t X[3], Y[3];
  for (int i = 0; i < 3; ++i) {
    // Geometry never leaves a generous guard band around the image; clamp defensively.
    float gx = std::clamp(v[i]->sx, -4.0f * ns_, 5.0f * ns_), gy = std::clamp(v[i]->sy, -4.0f * ns_, 5.0f * ns_);
    X[i] = int32_t(std::lrint(gx * kSub));
    Y[i] = int32_t(std::lrint(gy * kSub));
  }
  int64_t area = int64_t(X[1] - X[0]) * (Y[2] - Y[0]) - int64_t(Y[1] - Y[0]) * (X[2] - X[0]);
  if (area == 0) {
    tri.key = kNoTriangle;  // never referenced by a sample
    return;
  }
  if (area < 0) {
    std::swap(X[1], X[2]);
    std::swap(Y[1], Y[2]);
    std::swap(v[1], v[2]);
    std::swap(tri.v[1], tri.v[2]);
    area = -area;
  }
  // Barycentric planes in continuous sample coordinates (float), for the resolver.
  {
    float x[3] = {v[0]->sx, v[1]->sx, v[2]->sx}, y[3] = {v[0]->sy, v[1]->sy, v[2]->sy};
    float a2 = (x[1] - x[0]) * (y[2] - y[0]) - (y[1] - y[0]) * (x[2] - x[0]);
    float inv = a2 != 0 ? 1.0f / a2 : 0.0f;
    for (int k = 0; k < 3; ++k) {
      int i = (k + 1) % 3, j = (k + 2) % 3;  // edge i->j is opposite vertex k
      tri.ea[k] = -(y[j] - y[i]) * inv;
      tri.eb[k] = (x[j] - x[i]) * inv;
      tri.ec[k] = ((y[j] - y[i]) * x[i] - (x[j] - x[i]) * y[i]) * inv;
    }
  }
  int minX = std::min({X[0], X[1], X[2]}), maxX = std::max({X[0], X[1], X[2]});
  int minY = std::min({Y[0], Y[1], Y[2]}), maxY = std::max({Y[0], Y[1], Y[2]});
  int x0 = std::max(0, (minX - kSub / 2 + kSub - 1) >> 4), x1 = std::min(ns_ - 1, (maxX - kSub / 2) >> 4);
  int y0 = std::max(0, (minY - kSub / 2 + kSub - 1) >> 4), y1 = std::min(ns_ - 1, (maxY - kSub / 2) >> 4);
  if (x0 > x1 || y0 > y1) return;
  int32_t A[3], B[3], E[3];
  float K[3];
  const float inv_area = 1.0f / float(area);
  const int64_t px = int64_t(x0) * kSub + kSub / 2, py = int64_t(y0) * kSub + kSub / 2;
  for (int k = 0; k < 3; ++k) {
    int i = (k + 1) % 3, j = (k + 2) % 3;
    A[k] = Y[i] - Y[j];
    B[k] = X[j] - X[i];
    int64_t C = int64_t(Y[j] - Y[i]) * X[i] - int64_t(X[j] - X[i]) * Y[i];
    bool owns = A[k] > 0 || (A[k] == 0 && B[k] > 0);
    E[k] = int32_t(A[k] * px + B[k] * py + C - (owns ? 0 : 1));
    K[k] = v[k]->iz * inv_area;
  }
  for (int y = y0; y <= y1; ++y) {
    int32_t e0 = E[0], e1 = E[1], e2 = E[2];
    float* zrow = zbuf_.data() + size_t(y) * ns_;
    uint32_t* trow = tbuf_.data() + size_t(y) * ns_;
    for (int x = x0; x <= x1; ++x) {
      if ((e0 | e1 | e2) >= 0) {
        float iz = float(e0) * K[0] + float(e1) * K[1] + float(e2) * K[2];
        if (iz > zrow[x]) {
          zrow[x] = iz;
          trow[x] = t;
        }
      }
      e0 += A[0] * kSub;
      e1 += A[1] * kSub;
      e2 += A[2] * kSub;
    }
    E[0] += B[0] * kSub;
    E[1] += B[1] * kSub;
    E[2] += B[2] * kSub;
  }
}

void Renderer::render(const Scene& scene, float* rgb, const LabelPlanes* labels) {
  stats_ = {};
  std::fill(zbuf_.begin(), zbuf_.end(), 1.0f / kBackgroundZ);
  std::fill(tbuf_.begin(), tbuf_.end(), kNoTriangle);
  verts_.clear();
  tris_.clear();
  tri_object_.clear();
  shadow_tris_.clear();
  for (size_t i = 0; i < scene.objects.size(); ++i) add_object(scene.objects[i], int(i));
  cast_shadows(scene);
  resolve(scene, rgb, labels);
}

}  // namespace ss::render
