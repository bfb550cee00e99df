// Internal: one builder per class family plus the shared part helpers.
#pragma once
#include "ss/render/mesh.h"
#include "ss/render/rng.h"

namespace ss::render::families {

void airplane(Rng& r, Mesh& m);
void car(Rng& r, Mesh& m);
void boat(Rng& r, Mesh& m);
void chair(Rng& r, Mesh& m);
void table(Rng& r, Mesh& m);
void sofa(Rng& r, Mesh& m);
void lamp(Rng& r, Mesh& m);
void mug(Rng& r, Mesh& m);
void bottle(Rng& r, Mesh& m);
void guitar(Rng& r, Mesh& m);

// A planar quad q[0..3] (ring order) extruded by +-thick/2 along `up` (hexahedron).
inline void add_slab(Mesh& m, const V3 q[4], V3 up, float thick_root, float thick_tip = -1) {
  if (thick_tip < 0) thick_tip = thick_root;
  V3 u = normalize(up);
  // Corners 0 and 3 are the root edge, 1 and 2 the tip edge.
  float t[4] = {thick_root, thick_tip, thick_tip, thick_root};
  V3 c[8];
  for (int i = 0; i < 4; ++i) {
    c[i] = q[i] - u * (0.5f * t[i]);
    c[4 + i] = q[i] + u * (0.5f * t[i]);
  }
  add_hexahedron(m, c);
}
// Axis-aligned box from its min and max corners.
inline void add_aabb(Mesh& m, V3 lo, V3 hi) {
  add_box(m, at((lo + hi) * 0.5f), (hi - lo) * 0.5f);
}
inline void add_cyl(Mesh& m, V3 a, V3 b, float r, int segs = 12) { add_frustum(m, a, b, r, r, segs); }

}  // namespace ss::render::families
