// Small-object families: mug, bottle, guitar. Upright along y.
#include <cmath>

#include "shape_families.h"

namespace ss::render::families {

void mug(Rng& r, Mesh& m) {
  float rb = r.uniform(0.28f, 0.45f), taper = r.uniform(0.85f, 1.25f), h = r.uniform(0.55f, 1.1f);
  float rt = rb * taper;
  add_frustum(m, {0, 0, 0}, {0, h, 0}, rb, rt, 20);
  // Rim: a thin torus makes the lip read as a cup.
  add_torus(m, at({0, h, 0}, rot_x(1.5707963f)), rt * 0.97f, r.uniform(0.015f, 0.03f), 0.f,
            6.2831853f, 20, 6);
  // Handle on +x: a half torus in the x-y plane, centred on the wall.
  float hr = h * r.uniform(0.2f, 0.34f), ht = r.uniform(0.03f, 0.065f);
  float hy = h * r.uniform(0.42f, 0.58f);
  float wall = rb + (rt - rb) * hy / h;
  float squash = r.uniform(0.7f, 1.3f);  // handle ellipticity
  M3 frame = diag({squash, 1, 1});
  Frame f{frame, {wall - ht * 0.5f, hy, 0}};
  add_torus(m, f, hr, ht, -1.5707963f, 1.5707963f, 12, 8);
  if (r.chance(0.15f)) add_cyl(m, {0, -0.03f, 0}, {0, 0, 0}, rb * 1.6f, 20);  // saucer
}

void bottle(Rng& r, Mesh& m) {
  int kind = r.below(4);  // 0 wine, 1 water, 2 square, 3 jug
  float rb = r.uniform(0.12f, 0.28f), hb = r.uniform(0.4f, 0.9f);
  if (kind == 3) { rb *= 1.4f; hb *= 0.8f; }
  if (kind == 2)
    add_aabb(m, {-rb, 0, -rb * r.uniform(0.6f, 1.0f)}, {rb, hb, rb * r.uniform(0.6f, 1.0f)});
  else
    add_frustum(m, {0, 0, 0}, {0, hb, 0}, rb * r.uniform(0.9f, 1.05f), rb, 18);
  float rn = rb * r.uniform(0.22f, 0.45f);
  float hs = kind == 0 ? r.uniform(0.15f, 0.35f) : r.uniform(0.04f, 0.15f);
  float hn = kind == 0 ? r.uniform(0.2f, 0.45f) : r.uniform(0.06f, 0.2f);
  if (r.chance(0.5f)) {
    add_frustum(m, {0, hb, 0}, {0, hb + hs, 0}, rb * (kind == 2 ? 1.2f : 1.0f), rn, 18);
  } else {
    add_ellipsoid(m, at({0, hb, 0}), {rb, hs * 1.6f, rb}, 18, 10);
    hs *= 1.4f;
  }
  add_cyl(m, {0, hb + hs * 0.9f, 0}, {0, hb + hs + hn, 0}, rn, 14);
  float cr = rn * r.uniform(1.05f, 1.3f), ch = r.uniform(0.03f, 0.08f);
  add_cyl(m, {0, hb + hs + hn, 0}, {0, hb + hs + hn + ch, 0}, cr, 14);
  if (kind == 3) {  // jug handle from shoulder to body
    float hr = hb * 0.28f;
    add_torus(m, at({rb * 0.95f, hb * 0.7f, 0}), hr, r.uniform(0.025f, 0.045f), -1.5707963f,
              1.5707963f, 12, 8);
  }
}

void guitar(Rng& r, Mesh& m) {
  float depth = r.uniform(0.05f, 0.11f);
  bool electric = r.chance(0.35f);
  float lb = r.uniform(0.32f, 0.45f), lh = lb * r.uniform(1.0f, 1.25f);
  add_ellipsoid(m, at({0, lh, 0}), {lb, lh, depth}, 18, 10);
  float ub = lb * r.uniform(0.65f, 0.85f), uy = lh * 2 * r.uniform(0.75f, 0.9f);
  if (electric) {  // offset upper horns instead of a round upper bout
    add_ellipsoid(m, at({-lb * 0.45f, uy, 0}, rot_z(0.35f)), {ub * 0.35f, ub * 0.9f, depth}, 12, 8);
    add_ellipsoid(m, at({lb * 0.45f, uy * 0.95f, 0}, rot_z(-0.35f)), {ub * 0.3f, ub * 0.7f, depth}, 12, 8);
  } else {
    add_ellipsoid(m, at({0, uy, 0}), {ub, ub * 0.95f, depth}, 16, 10);
  }
  float nl = r.uniform(0.7f, 1.05f), nw = r.uniform(0.035f, 0.055f);
  float ny0 = uy + ub * 0.5f;
  add_aabb(m, {-nw, ny0 - 0.1f, -depth * 0.5f}, {nw, ny0 + nl, depth * 0.3f});
  float tilt = r.uniform(0.0f, 0.3f), hw = nw * r.uniform(1.3f, 2.0f), hh = r.uniform(0.14f, 0.22f);
  add_box(m, at({0, ny0 + nl + hh / 2, depth * 0.15f}, rot_x(-tilt)), {hw, hh / 2, 0.02f});
  // Bridge on the front (-z) face.
  add_aabb(m, {-lb * 0.35f, lh * 0.55f, -depth - 0.02f}, {lb * 0.35f, lh * 0.55f + 0.04f, -depth * 0.6f});
}

}  // namespace ss::render::families
