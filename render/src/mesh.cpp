// Primitive mesh builders. Each primitive starts new smooth-patch ids (`part`) so the
// resolver never averages shading across a crease.
#include "ss/render/mesh.h"

#include <algorithm>
#include <cmath>

namespace ss::render {
namespace {

constexpr float kTwoPi = 6.28318530718f;

uint32_t add_vertex(Mesh& m, V3 p, V3 n) {
  m.pos.push_back(p);
  m.nrm.push_back(n);
  return static_cast<uint32_t>(m.pos.size() - 1);
}

// Adds triangle (a,b,c), flipped if its geometric normal points against `outward`.
void add_tri(Mesh& m, uint32_t a, uint32_t b, uint32_t c, V3 outward, uint16_t part) {
  V3 n = cross(m.pos[b] - m.pos[a], m.pos[c] - m.pos[a]);
  if (dot(n, n) < 1e-18f) return;  // degenerate
  if (dot(n, outward) < 0) std::swap(b, c);
  m.idx.insert(m.idx.end(), {a, b, c});
  m.part.push_back(part);
}

// Flat quad (or triangle when two corners coincide) with its own vertices.
void add_flat_quad(Mesh& m, V3 p0, V3 p1, V3 p2, V3 p3, V3 centre) {
  V3 n = cross(p1 - p0, p2 - p0) + cross(p2 - p0, p3 - p0);
  if (dot(n, n) < 1e-18f) return;
  n = normalize(n);
  V3 mid = (p0 + p1 + p2 + p3) * 0.25f;
  if (dot(n, mid - centre) < 0) n = -n;
  uint16_t part = m.next_part++;
  uint32_t i0 = add_vertex(m, p0, n), i1 = add_vertex(m, p1, n), i2 = add_vertex(m, p2, n),
           i3 = add_vertex(m, p3, n);
  add_tri(m, i0, i1, i2, n, part);
  add_tri(m, i0, i2, i3, n, part);
}

}  // namespace

void add_hexahedron(Mesh& m, const V3 c[8]) {
  V3 centre{};
  for (int i = 0; i < 8; ++i) centre = centre + c[i];
  centre = centre * 0.125f;
  add_flat_quad(m, c[0], c[1], c[2], c[3], centre);  // bottom
  add_flat_quad(m, c[4], c[5], c[6], c[7], centre);  // top
  for (int i = 0; i < 4; ++i) {
    int j = (i + 1) % 4;
    add_flat_quad(m, c[i], c[j], c[4 + j], c[4 + i], centre);
  }
}

void add_box(Mesh& m, const Frame& f, V3 h) {
  V3 c[8];
  const float sx[4] = {-1, 1, 1, -1}, sz[4] = {-1, -1, 1, 1};
  for (int i = 0; i < 4; ++i) {
    c[i] = f.rot * V3{sx[i] * h.x, -h.y, sz[i] * h.z} + f.origin;
    c[4 + i] = f.rot * V3{sx[i] * h.x, h.y, sz[i] * h.z} + f.origin;
  }
  add_hexahedron(m, c);
}

void add_frustum(Mesh& m, V3 a, V3 b, float ra, float rb, int segs, bool caps) {
  V3 axis = b - a;
  float h = length(axis);
  if (h < 1e-6f) return;
  M3 R = frame_y_to(axis);
  V3 y = normalize(axis);
  uint16_t side = m.next_part++;
  uint32_t base = static_cast<uint32_t>(m.pos.size());
  for (int i = 0; i <= segs; ++i) {
    float t = kTwoPi * float(i) / float(segs);
    V3 d = R * V3{std::cos(t), 0, std::sin(t)};
    V3 n = normalize(d * h + y * (ra - rb));
    add_vertex(m, a + d * ra, n);
    add_vertex(m, b + d * rb, n);
  }
  for (int i = 0; i < segs; ++i) {
    uint32_t a0 = base + 2 * i, b0 = a0 + 1, a1 = a0 + 2, b1 = a0 + 3;
    V3 out = m.nrm[a0] + m.nrm[a1];
    add_tri(m, a0, a1, b1, out, side);
    add_tri(m, a0, b1, b0, out, side);
  }
  if (!caps) return;
  for (int end = 0; end < 2; ++end) {
    V3 c = end ? b : a;
    float r = end ? rb : ra;
    if (r < 1e-6f) continue;
    V3 n = end ? y : -y;
    uint16_t part = m.next_part++;
    uint32_t ic = add_vertex(m, c, n);
    uint32_t first = static_cast<uint32_t>(m.pos.size());
    for (int i = 0; i <= segs; ++i) {
      float t = kTwoPi * float(i) / float(segs);
      add_vertex(m, c + R * V3{std::cos(t), 0, std::sin(t)} * r, n);
    }
    for (int i = 0; i < segs; ++i) add_tri(m, ic, first + i, first + i + 1, n, part);
  }
}

void add_ellipsoid(Mesh& m, const Frame& f, V3 r, int su, int sv) {
  uint16_t part = m.next_part++;
  uint32_t base = static_cast<uint32_t>(m.pos.size());
  for (int j = 0; j <= sv; ++j) {
    float phi = 3.14159265f * float(j) / float(sv);  // 0 at +y pole
    float sp = std::sin(phi), cp = std::cos(phi);
    for (int i = 0; i <= su; ++i) {
      float t = kTwoPi * float(i) / float(su);
      V3 u{sp * std::cos(t), cp, sp * std::sin(t)};
      V3 p{u.x * r.x, u.y * r.y, u.z * r.z};
      V3 n = normalize(V3{u.x / r.x, u.y / r.y, u.z / r.z});
      add_vertex(m, f.rot * p + f.origin, f.rot * n);
    }
  }
  for (int j = 0; j < sv; ++j)
    for (int i = 0; i < su; ++i) {
      uint32_t v00 = base + j * (su + 1) + i, v01 = v00 + 1, v10 = v00 + (su + 1), v11 = v10 + 1;
      V3 out = m.pos[v00] + m.pos[v11] - f.origin * 2.0f;
      add_tri(m, v00, v10, v11, out, part);
      add_tri(m, v00, v11, v01, out, part);
    }
}

void add_torus(Mesh& m, const Frame& f, float R, float r, float a0, float a1, int smaj, int smin) {
  uint16_t part = m.next_part++;
  uint32_t base = static_cast<uint32_t>(m.pos.size());
  std::vector<V3> ring(smaj + 1);
  for (int i = 0; i <= smaj; ++i) {
    float t = a0 + (a1 - a0) * float(i) / float(smaj);
    V3 d{std::cos(t), std::sin(t), 0};
    ring[i] = f.rot * (d * R) + f.origin;
    for (int j = 0; j <= smin; ++j) {
      float s = kTwoPi * float(j) / float(smin);
      V3 n = d * std::cos(s) + V3{0, 0, std::sin(s)};
      add_vertex(m, f.rot * (d * R + n * r) + f.origin, f.rot * n);
    }
  }
  for (int i = 0; i < smaj; ++i)
    for (int j = 0; j < smin; ++j) {
      uint32_t v00 = base + i * (smin + 1) + j, v01 = v00 + 1, v10 = v00 + (smin + 1), v11 = v10 + 1;
      V3 out = m.nrm[v00] + m.nrm[v11];
      add_tri(m, v00, v10, v11, out, part);
      add_tri(m, v00, v11, v01, out, part);
    }
}

void mesh_bounds(const Mesh& m, V3& lo, V3& hi) {
  lo = {1e30f, 1e30f, 1e30f};
  hi = {-1e30f, -1e30f, -1e30f};
  for (const V3& p : m.pos) {
    lo = {std::min(lo.x, p.x), std::min(lo.y, p.y), std::min(lo.z, p.z)};
    hi = {std::max(hi.x, p.x), std::max(hi.y, p.y), std::max(hi.z, p.z)};
  }
}

void normalize_mesh(Mesh& m, float diagonal) {
  if (m.pos.empty()) return;
  V3 lo, hi;
  mesh_bounds(m, lo, hi);
  V3 c = (lo + hi) * 0.5f;
  float d = length(hi - lo);
  float s = d > 0 ? diagonal / d : 1.0f;
  for (V3& p : m.pos) p = (p - c) * s;
}

double signed_volume(const Mesh& m) {
  double v = 0;
  for (size_t t = 0; t < m.triangles(); ++t) {
    V3 a = m.pos[m.idx[3 * t]], b = m.pos[m.idx[3 * t + 1]], c = m.pos[m.idx[3 * t + 2]];
    v += double(dot(a, cross(b, c))) / 6.0;
  }
  return v;
}

}  // namespace ss::render
