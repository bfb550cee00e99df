// Vehicle families: airplane, car, boat. Lengths run along z (nose/bow towards -z).
#include <cmath>

#include "shape_families.h"

namespace ss::render::families {

namespace {
// One wing-like surface: root chord centred at `root` (z extent `chord`), tip at
// `root + (side*half_span, rise, sweep)` with chord `chord*taper`.
void wing(Mesh& m, V3 root, float side, float half_span, float chord, float taper, float sweep,
          float rise, float thick) {
  V3 tip = root + V3{side * half_span, rise, sweep};
  V3 q[4] = {root + V3{0, 0, -chord / 2}, tip + V3{0, 0, -chord * taper / 2},
             tip + V3{0, 0, chord * taper / 2}, root + V3{0, 0, chord / 2}};
  add_slab(m, q, {0, 1, 0}, thick, thick * (0.4f + 0.6f * taper));
}
// Vertical fin on the tail, root along z at height y0.
void fin(Mesh& m, float z0, float y0, float chord, float height, float sweep, float thick) {
  V3 q[4] = {{0, y0, z0 - chord / 2}, {0, y0 + height, z0 - chord / 2 + sweep},
             {0, y0 + height, z0 - chord / 2 + sweep + chord * 0.45f}, {0, y0, z0 + chord / 2}};
  add_slab(m, q, {1, 0, 0}, thick, thick * 0.6f);
}
}  // namespace

void airplane(Rng& r, Mesh& m) {
  float L = r.uniform(1.6f, 2.6f), rad = r.uniform(0.08f, 0.16f);
  add_ellipsoid(m, at({0, 0, 0}), {rad, rad * r.uniform(0.9f, 1.25f), L / 2}, 14, 12);
  float half_span = r.uniform(0.55f, 1.25f);
  float chord = r.uniform(0.22f, 0.5f), taper = r.uniform(0.25f, 1.0f);
  float sweep = r.uniform(-0.1f, 0.7f) * half_span;
  float wz = r.uniform(-0.2f, 0.08f) * L, wy = r.uniform(-0.7f, 0.6f) * rad;
  float rise = r.uniform(-0.05f, 0.18f) * half_span, thick = r.uniform(0.025f, 0.06f);
  for (float s : {-1.f, 1.f}) wing(m, {0, wy, wz}, s, half_span, chord, taper, sweep, rise, thick);
  // Tail: horizontal stabiliser and vertical fin (T-tail sometimes).
  float tz = L * r.uniform(0.36f, 0.44f), ts = half_span * r.uniform(0.25f, 0.45f);
  float tc = chord * r.uniform(0.45f, 0.8f), fh = r.uniform(0.18f, 0.4f);
  bool t_tail = r.chance(0.25f);
  float hy = t_tail ? rad * 0.6f + fh : rad * 0.2f;
  for (float s : {-1.f, 1.f}) wing(m, {0, hy, tz}, s, ts, tc, 0.6f, ts * 0.4f, 0.0f, thick * 0.7f);
  fin(m, tz, rad * 0.6f, tc * 1.1f, fh, fh * r.uniform(0.3f, 0.9f), thick * 0.7f);
  // Engines: none, two or four pods under the wings.
  int engines = r.below(3) * 2;
  float er = r.uniform(0.05f, 0.09f), el = r.uniform(0.25f, 0.45f);
  for (int e = 0; e < engines; ++e) {
    float frac = (e < 2) ? 0.38f : 0.7f;
    float s = (e % 2) ? 1.f : -1.f;
    V3 c{s * half_span * frac, wy + rise * frac - er * 1.3f, wz + sweep * frac - chord * 0.35f};
    add_cyl(m, c - V3{0, 0, el / 2}, c + V3{0, 0, el / 2}, er, 10);
  }
}

void car(Rng& r, Mesh& m) {
  float L = r.uniform(1.6f, 2.4f), W = r.uniform(0.7f, 0.95f);
  float wr = r.uniform(0.14f, 0.22f), ww = r.uniform(0.08f, 0.14f);
  float y0 = wr * r.uniform(0.5f, 0.8f), hb = r.uniform(0.22f, 0.38f);
  float hood = r.uniform(0.05f, 0.25f), tail = r.uniform(0.0f, 0.15f);
  V3 body[8] = {{-W / 2, y0, -L / 2}, {W / 2, y0, -L / 2}, {W / 2, y0, L / 2}, {-W / 2, y0, L / 2},
                {-W / 2, y0 + hb, -L / 2 + hood}, {W / 2, y0 + hb, -L / 2 + hood},
                {W / 2, y0 + hb, L / 2 - tail}, {-W / 2, y0 + hb, L / 2 - tail}};
  add_hexahedron(m, body);
  // Cabin: sedan / hatchback / van / pickup (different extents along z).
  int kind = r.below(4);
  float z0, z1, hc = r.uniform(0.2f, 0.34f);
  float top = y0 + hb;
  if (kind == 0) {
    z0 = r.uniform(-0.2f, -0.05f) * L; z1 = r.uniform(0.18f, 0.3f) * L;
  } else if (kind == 1) {
    z0 = r.uniform(-0.2f, -0.05f) * L; z1 = L / 2 - tail - 0.02f;
  } else if (kind == 2) {
    z0 = -L / 2 + hood + 0.02f; z1 = L / 2 - tail - 0.02f; hc *= 1.5f;
  } else {
    z0 = r.uniform(-0.25f, -0.1f) * L; z1 = z0 + r.uniform(0.25f, 0.35f) * L;
  }
  float wt = W * r.uniform(0.75f, 0.95f) / 2, wb = W * 0.48f;
  float rake_f = hc * r.uniform(0.3f, 1.2f), rake_b = hc * r.uniform(0.0f, 0.8f);
  if (kind >= 2) rake_b = 0.02f;
  V3 cab[8] = {{-wb, top, z0}, {wb, top, z0}, {wb, top, z1}, {-wb, top, z1},
               {-wt, top + hc, z0 + rake_f}, {wt, top + hc, z0 + rake_f},
               {wt, top + hc, z1 - rake_b}, {-wt, top + hc, z1 - rake_b}};
  add_hexahedron(m, cab);
  // Wheels: cylinders along x.
  float axle = L / 2 - r.uniform(0.22f, 0.34f) * L / 2 - wr * 0.5f;
  for (float sz : {-1.f, 1.f})
    for (float sx : {-1.f, 1.f}) {
      V3 c{sx * (W / 2 - ww * 0.3f), wr, sz * axle};
      add_cyl(m, c - V3{ww / 2, 0, 0}, c + V3{ww / 2, 0, 0}, wr, 14);
    }
  if (kind == 0 && r.chance(0.25f))  // spoiler
    add_aabb(m, {-W * 0.4f, top + 0.06f, L / 2 - tail - 0.12f}, {W * 0.4f, top + 0.09f, L / 2 - tail});
}

void boat(Rng& r, Mesh& m) {
  float L = r.uniform(1.6f, 2.6f), W = r.uniform(0.35f, 0.7f), H = r.uniform(0.18f, 0.38f);
  float bow = r.uniform(0.25f, 0.45f) * L, keel = r.uniform(0.3f, 0.8f);
  float zb = -L / 2 + bow;  // where the bow section meets the main hull
  float wb = W / 2 * keel;  // half width at the keel
  V3 hull[8] = {{-wb, 0, zb}, {wb, 0, zb}, {wb, 0, L / 2}, {-wb, 0, L / 2},
                {-W / 2, H, zb}, {W / 2, H, zb}, {W / 2, H, L / 2}, {-W / 2, H, L / 2}};
  add_hexahedron(m, hull);
  float lift = H * r.uniform(0.1f, 0.5f);
  V3 prow[8] = {{-wb, 0, zb}, {0, lift, -L / 2 + 0.01f}, {0, lift, -L / 2}, {wb, 0, zb},
                {-W / 2, H, zb}, {0, H + lift * 0.5f, -L / 2 + 0.01f}, {0, H + lift * 0.5f, -L / 2},
                {W / 2, H, zb}};
  add_hexahedron(m, prow);
  int kind = r.below(3);  // 0 sailboat, 1 motorboat, 2 ship
  if (kind == 0) {
    float mh = r.uniform(0.8f, 1.6f), mz = r.uniform(-0.2f, 0.05f) * L;
    add_cyl(m, {0, H, mz}, {0, H + mh, mz}, r.uniform(0.015f, 0.03f), 8);
    float boom = r.uniform(0.3f, 0.5f) * L;
    V3 sail[4] = {{0, H + 0.08f, mz + 0.02f}, {0, H + mh * 0.95f, mz + 0.02f},
                  {0, H + mh * 0.95f, mz + 0.04f}, {0, H + 0.08f, mz + boom}};
    add_slab(m, sail, {1, 0, 0}, 0.012f);
    if (r.chance(0.5f)) {  // jib
      V3 jib[4] = {{0, H + 0.06f, mz - 0.04f}, {0, H + mh * 0.8f, mz - 0.03f},
                   {0, H + mh * 0.8f, mz - 0.02f}, {0, H + 0.06f, -L / 2 + bow * 0.3f}};
      add_slab(m, jib, {1, 0, 0}, 0.012f);
    }
  } else {
    int decks = kind == 1 ? 1 : 1 + r.below(3);
    float cz0 = r.uniform(-0.15f, 0.1f) * L, cl = r.uniform(0.2f, 0.4f) * L;
    float cw = W * r.uniform(0.55f, 0.85f) / 2, y = H;
    for (int d = 0; d < decks; ++d) {
      float dh = r.uniform(0.1f, 0.2f);
      add_aabb(m, {-cw, y, cz0}, {cw, y + dh, cz0 + cl});
      y += dh;
      cl *= r.uniform(0.6f, 0.9f);
      cw *= r.uniform(0.75f, 0.95f);
    }
    if (kind == 2) {
      int funnels = 1 + r.below(2);
      for (int f = 0; f < funnels; ++f) {
        float fz = cz0 + cl * (0.3f + 0.5f * f);
        add_cyl(m, {0, y, fz}, {0, y + r.uniform(0.15f, 0.3f), fz}, r.uniform(0.05f, 0.09f), 10);
      }
    }
  }
}

}  // namespace ss::render::families
