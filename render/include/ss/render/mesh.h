// Triangle meshes assembled from primitives (boxes, hexahedra, frusta, ellipsoids,
// tori). Object space: y up, x right, the object's front faces -z (the camera).
// Triangles are wound counter-clockwise seen from outside (outward normal by the
// right-hand rule); every builder orients its triangles with an outward hint.
#pragma once
#include <cstdint>
#include <vector>

#include "ss/render/vec.h"

namespace ss::render {

struct Mesh {
  std::vector<V3> pos;          // per vertex, object space
  std::vector<V3> nrm;          // per vertex, unit normal
  std::vector<uint32_t> idx;    // 3 per triangle
  std::vector<uint16_t> part;   // per triangle: smooth patch id (shading groups)
  uint16_t next_part = 0;

  void clear() {
    pos.clear();
    nrm.clear();
    idx.clear();
    part.clear();
    next_part = 0;
  }
  size_t triangles() const { return part.size(); }
  size_t vertices() const { return pos.size(); }
};

// Local primitive frame: object = rot * local + origin.
struct Frame {
  M3 rot;
  V3 origin;
};
inline Frame at(V3 origin) { return Frame{M3{}, origin}; }
inline Frame at(V3 origin, const M3& rot) { return Frame{rot, origin}; }

// Axis-aligned (in its frame) box with half extents `half`.
void add_box(Mesh& m, const Frame& f, V3 half);
// Convex hexahedron: corners 0-3 bottom ring, 4-7 top ring (4+i above i). Flat faces;
// degenerate corners are allowed (wedges, prisms).
void add_hexahedron(Mesh& m, const V3 corners[8]);
// Capped cylinder / cone frustum from point a (radius ra) to b (radius rb).
void add_frustum(Mesh& m, V3 a, V3 b, float ra, float rb, int segments = 16, bool caps = true);
// Ellipsoid with semi-axes `radii` in its frame.
void add_ellipsoid(Mesh& m, const Frame& f, V3 radii, int seg_u = 16, int seg_v = 10);
// Torus in the frame's x-y plane (axis = frame z), major radius R, tube radius r,
// from angle a0 to a1 (radians, measured from +x towards +y).
void add_torus(Mesh& m, const Frame& f, float R, float r, float a0, float a1, int seg_major = 16,
               int seg_minor = 8);

// Bounding box of the vertices.
void mesh_bounds(const Mesh& m, V3& lo, V3& hi);
// Centre the bounding box at the origin and scale its diagonal to `diagonal`.
void normalize_mesh(Mesh& m, float diagonal = 1.0f);
// Signed enclosed volume (positive when triangles face outwards on closed parts).
double signed_volume(const Mesh& m);

}  // namespace ss::render
