// Furniture families: chair, table, sofa, lamp. Floor at y = 0, front towards -z.
#include <cmath>

#include "shape_families.h"

namespace ss::render::families {

namespace {
// A leg from the floor to height h at (x, z): box or cylinder, optionally splayed.
void leg(Mesh& m, float x, float z, float h, float t, bool round, float splay) {
  V3 top{x, h, z}, bot{x * (1 + splay), 0, z * (1 + splay)};
  if (round) {
    add_frustum(m, bot, top, t * 0.8f, t, 10);
  } else {
    V3 d = top - bot;
    add_box(m, at((top + bot) * 0.5f, frame_y_to(d)), {t, length(d) / 2, t});
  }
}
}  // namespace

void chair(Rng& r, Mesh& m) {
  float w = r.uniform(0.4f, 0.62f), d = r.uniform(0.4f, 0.6f), ts = r.uniform(0.03f, 0.08f);
  float hs = r.uniform(0.38f, 0.55f);
  add_aabb(m, {-w / 2, hs - ts, -d / 2}, {w / 2, hs, d / 2});
  int legs = r.below(3);  // 0 straight, 1 splayed round, 2 office pedestal
  float lt = r.uniform(0.018f, 0.035f), in = r.uniform(0.0f, 0.05f);
  if (legs < 2) {
    bool round = legs == 1 || r.chance(0.3f);
    float splay = legs == 1 ? r.uniform(0.05f, 0.25f) : 0.0f;
    for (float sx : {-1.f, 1.f})
      for (float sz : {-1.f, 1.f})
        leg(m, sx * (w / 2 - lt - in), sz * (d / 2 - lt - in), hs - ts, lt, round, splay);
  } else {
    float base = r.uniform(0.05f, 0.12f);
    add_cyl(m, {0, base, 0}, {0, hs - ts, 0}, r.uniform(0.025f, 0.045f), 10);
    int feet = 4 + r.below(2);
    float reach = r.uniform(0.22f, 0.32f);
    for (int f = 0; f < feet; ++f) {
      float a = 6.2831853f * float(f) / float(feet);
      V3 tip{reach * std::cos(a), 0.02f, reach * std::sin(a)};
      add_box(m, at(tip * 0.5f + V3{0, base * 0.5f, 0}, frame_y_to(tip - V3{0, base, 0})),
              {0.02f, length(tip - V3{0, base, 0}) / 2, 0.015f});
    }
  }
  // Backrest at the rear (+z): solid panel, posts with slats, or posts with a top rail.
  float hb = r.uniform(0.25f, 0.6f), tilt = r.uniform(0.0f, 0.3f);
  float bt = r.uniform(0.025f, 0.05f), zb = d / 2 - bt;
  int back = r.below(3);
  auto back_point = [&](float x, float up) { return V3{x, hs + up, zb + up * std::tan(tilt)}; };
  if (back == 0) {
    float bw = w * r.uniform(0.8f, 1.0f) / 2;
    V3 q[4] = {back_point(-bw, 0), back_point(-bw, hb), back_point(bw, hb), back_point(bw, 0)};
    add_slab(m, q, {0, -std::sin(tilt), std::cos(tilt)}, bt);
  } else {
    float pw = r.uniform(0.015f, 0.03f);
    for (float sx : {-1.f, 1.f}) {
      V3 a = back_point(sx * (w / 2 - pw), 0), b = back_point(sx * (w / 2 - pw), hb);
      add_box(m, at((a + b) * 0.5f, frame_y_to(b - a)), {pw, length(b - a) / 2, pw});
    }
    int slats = back == 1 ? 2 + r.below(3) : 1;
    float sh = r.uniform(0.03f, 0.07f);
    for (int s = 0; s < slats; ++s) {
      float up = hb - sh / 2 - float(s) * hb / float(slats + 1) * (back == 1 ? 1.f : 0.f);
      V3 q[4] = {back_point(-w / 2 + pw, up - sh / 2), back_point(-w / 2 + pw, up + sh / 2),
                 back_point(w / 2 - pw, up + sh / 2), back_point(w / 2 - pw, up - sh / 2)};
      add_slab(m, q, {0, -std::sin(tilt), std::cos(tilt)}, bt * 0.8f);
    }
  }
  if (r.chance(0.3f)) {  // armrests
    float ha = r.uniform(0.15f, 0.25f);
    for (float sx : {-1.f, 1.f}) {
      float x = sx * (w / 2 - 0.02f);
      add_aabb(m, {x - 0.025f, hs + ha, -d / 2 + 0.03f}, {x + 0.025f, hs + ha + 0.03f, d / 2});
      add_aabb(m, {x - 0.015f, hs, -d / 2 + 0.05f}, {x + 0.015f, hs + ha, -d / 2 + 0.08f});
    }
  }
}

void table(Rng& r, Mesh& m) {
  float h = r.uniform(0.4f, 0.85f), tt = r.uniform(0.03f, 0.08f);
  bool round = r.chance(0.3f);
  float w = r.uniform(0.7f, 1.7f), d = round ? w : w * r.uniform(0.45f, 1.0f);
  if (round) {
    add_cyl(m, {0, h - tt, 0}, {0, h, 0}, w / 2, 20);
  } else {
    add_aabb(m, {-w / 2, h - tt, -d / 2}, {w / 2, h, d / 2});
  }
  int base = r.below(3);  // 0 four legs, 1 pedestal, 2 trestle panels
  if (round && base == 2) base = 1;
  float lt = r.uniform(0.025f, 0.06f);
  float ix = round ? w * 0.33f : w / 2 - lt - r.uniform(0.0f, 0.12f);
  float iz = round ? w * 0.33f : d / 2 - lt - r.uniform(0.0f, 0.08f);
  if (base == 0) {
    bool cyl = r.chance(0.4f);
    for (float sx : {-1.f, 1.f})
      for (float sz : {-1.f, 1.f}) leg(m, sx * ix, sz * iz, h - tt, lt, cyl, 0.0f);
    if (!round && r.chance(0.4f)) {  // apron
      float ah = r.uniform(0.05f, 0.12f);
      add_aabb(m, {-ix, h - tt - ah, -iz}, {ix, h - tt, -iz + 0.02f});
      add_aabb(m, {-ix, h - tt - ah, iz - 0.02f}, {ix, h - tt, iz});
    }
    if (r.chance(0.3f)) {  // lower shelf
      float sy = r.uniform(0.08f, 0.3f) * h;
      if (round)
        add_cyl(m, {0, sy, 0}, {0, sy + 0.03f, 0}, ix + lt, 16);
      else
        add_aabb(m, {-ix - lt, sy, -iz - lt}, {ix + lt, sy + 0.03f, iz + lt});
    }
  } else if (base == 1) {
    float pr = r.uniform(0.04f, 0.1f);
    add_cyl(m, {0, 0.03f, 0}, {0, h - tt, 0}, pr, 12);
    if (r.chance(0.5f)) {
      add_cyl(m, {0, 0, 0}, {0, 0.04f, 0}, std::min(w, d) * r.uniform(0.25f, 0.4f), 16);
    } else {
      for (int f = 0; f < 4; ++f) {
        float a = 1.5707963f * float(f) + 0.785398f;
        V3 tip{std::min(w, d) * 0.35f * std::cos(a), 0.0f, std::min(w, d) * 0.35f * std::sin(a)};
        add_box(m, at(tip * 0.5f + V3{0, 0.025f, 0}, frame_y_to({0, 1, 0}) * rot_y(-a)),
                {length(tip) / 2, 0.025f, 0.03f});
      }
    }
  } else {
    for (float sx : {-1.f, 1.f})
      add_aabb(m, {sx * ix - lt, 0, -iz}, {sx * ix + lt, h - tt, iz});
    if (r.chance(0.6f)) add_aabb(m, {-ix, h * 0.25f, -0.03f}, {ix, h * 0.25f + 0.06f, 0.03f});
  }
}

void sofa(Rng& r, Mesh& m) {
  float W = r.uniform(1.3f, 2.4f), D = r.uniform(0.7f, 1.0f);
  float legh = r.chance(0.6f) ? r.uniform(0.04f, 0.14f) : 0.0f;
  float hs = legh + r.uniform(0.18f, 0.3f);
  add_aabb(m, {-W / 2, legh, -D / 2}, {W / 2, hs, D / 2});
  float bt = r.uniform(0.15f, 0.28f), bh = r.uniform(0.3f, 0.55f) + r.uniform(0.0f, 0.12f);
  add_aabb(m, {-W / 2, hs, D / 2 - bt}, {W / 2, hs + bh, D / 2});
  int arms = r.chance(0.85f) ? 2 : 0;
  float aw = r.uniform(0.1f, 0.25f), ah = r.uniform(0.1f, 0.3f);
  if (arms)
    for (float sx : {-1.f, 1.f})
      add_aabb(m, {sx > 0 ? W / 2 - aw : -W / 2, hs, -D / 2}, {sx > 0 ? W / 2 : -W / 2 + aw, hs + ah, D / 2});
  int cushions = 1 + r.below(3);
  float ct = r.uniform(0.06f, 0.12f), x0 = -W / 2 + (arms ? aw : 0), x1 = W / 2 - (arms ? aw : 0);
  float cw = (x1 - x0) / float(cushions);
  for (int c = 0; c < cushions; ++c)
    add_aabb(m, {x0 + c * cw + 0.01f, hs, -D / 2 + 0.02f}, {x0 + (c + 1) * cw - 0.01f, hs + ct, D / 2 - bt});
  if (legh > 0)
    for (float sx : {-1.f, 1.f})
      for (float sz : {-1.f, 1.f})
        add_frustum(m, {sx * (W / 2 - 0.06f), 0, sz * (D / 2 - 0.06f)},
                    {sx * (W / 2 - 0.06f), legh, sz * (D / 2 - 0.06f)}, 0.02f, 0.03f, 8);
  if (r.chance(0.15f)) {  // sectional: a chaise on one side
    float s = r.chance(0.5f) ? 1.f : -1.f, cl = r.uniform(0.5f, 0.8f);
    float xa = s > 0 ? W / 2 - 0.6f : -W / 2, xb = s > 0 ? W / 2 : -W / 2 + 0.6f;
    add_aabb(m, {xa, legh, -D / 2 - cl}, {xb, hs + ct, -D / 2});
  }
}

void lamp(Rng& r, Mesh& m) {
  float H = r.uniform(0.6f, 1.6f);
  float br = r.uniform(0.12f, 0.28f), bh = r.uniform(0.03f, 0.09f);
  int base = r.below(3);
  if (base == 0) add_cyl(m, {0, 0, 0}, {0, bh, 0}, br, 16);
  else if (base == 1) add_aabb(m, {-br, 0, -br}, {br, bh, br});
  else add_frustum(m, {0, 0, 0}, {0, bh * 2, 0}, br, br * 0.3f, 16);
  float pr = r.uniform(0.012f, 0.035f);
  bool arm = r.chance(0.35f);
  V3 top{0, H, 0}, down{0, -1, 0};
  if (!arm) {
    add_cyl(m, {0, bh, 0}, top, pr, 8);
  } else {  // desk lamp: two segments, shade pointing down/forward at the end
    float a1 = r.uniform(-0.5f, 0.3f), a2 = r.uniform(0.6f, 1.4f);
    float l1 = H * r.uniform(0.45f, 0.65f), l2 = H * r.uniform(0.35f, 0.55f);
    V3 j{0, bh + l1 * std::cos(a1), l1 * std::sin(a1)};
    top = j + V3{0, l2 * std::cos(a2), -l2 * std::sin(a2)};
    add_cyl(m, {0, bh, 0}, j, pr, 8);
    add_ellipsoid(m, at(j), {pr * 1.8f, pr * 1.8f, pr * 1.8f}, 8, 6);
    add_cyl(m, j, top, pr, 8);
    down = normalize(V3{0, -0.8f, -r.uniform(0.2f, 0.9f)});
  }
  int shade = arm ? 0 : r.below(3);  // 0 cone, 1 drum, 2 globe
  float sr = r.uniform(0.12f, 0.35f), sh = r.uniform(0.12f, 0.35f);
  if (arm) { sr *= 0.6f; sh *= 0.6f; }
  if (shade == 0) {
    V3 a = top - down * (sh * 0.3f), b = a + down * sh;
    add_frustum(m, a, b, sr * r.uniform(0.15f, 0.5f), sr, 16);
  } else if (shade == 1) {
    add_frustum(m, top + V3{0, sh * 0.3f, 0}, top - V3{0, sh * 0.7f, 0}, sr * r.uniform(0.7f, 1.0f), sr, 16);
  } else {
    add_ellipsoid(m, at(top), {sr * 0.8f, sr * r.uniform(0.6f, 1.0f), sr * 0.8f}, 14, 10);
  }
}

}  // namespace ss::render::families
