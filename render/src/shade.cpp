// Resolve stage: group each output pixel's 2x2 samples by smooth patch, shade every
// group once (Lambert + Blinn-Phong point light, weak sun, ambient) and average by
// coverage. Also produces the dense labels of multi-object scenes.
#include <algorithm>
#include <cmath>

#include "ss/render/renderer.h"

namespace ss::render {

namespace {
constexpr float kAmbient = 0.10f;
constexpr float kSunStrength = 0.22f;
constexpr float kLightStrength = 1.0f;
constexpr float kTextureMix = 0.4f;  // colour mixed with texture at weight 0.4 (REFERENCE §2)
constexpr uint32_t kBackgroundKey = 0xFFFFFFFFu;

const V3 kSunDir = normalize(V3{0.4f, 1.0f, -0.6f});

inline float pow32(float x) {
  if (x < 0.25f) return 0.0f;  // < 1e-19 anyway; avoids slow denormal arithmetic
  x *= x; x *= x; x *= x; x *= x; x *= x;
  return x;
}

V3 light_surface(V3 p, V3 n, V3 albedo, float ks, V3 light_pos, float lit = 1.0f) {
  V3 v = normalize(-p);
  float nv = dot(n, v);
  if (nv < 0) n = normalize(n - v * nv);  // interpolated normal turned away: make it a silhouette
  V3 l = light_pos - p;
  float d2 = dot(l, l);
  l = l * (1.0f / std::sqrt(d2));
  float atten = std::min(2.0f, kLightRadius * kLightRadius / d2) * kLightStrength * lit;
  float diff = std::max(0.0f, dot(n, l));
  float sun = std::max(0.0f, dot(n, kSunDir));
  float spec = diff > 0 ? pow32(std::max(0.0f, dot(n, normalize(l + v)))) : 0.0f;
  float k = kAmbient + kSunStrength * sun + atten * diff;
  float s = ks * atten * spec;
  return {albedo.x * k + s, albedo.y * k + s, albedo.z * k + s};
}
}  // namespace

void Renderer::resolve(const Scene& sc, float* rgb, const LabelPlanes* labels) {
  const int R = res_, ns = ns_;
  const size_t plane = size_t(R) * R;
  const float half = 0.5f * float(ns), inv_f = 1.0f / focal_;
  const V3 bg_normal{0, 0, -1};
  const bool bg_tex = sc.background_texture.kind != TextureKind::none;

  // Shades the patch of triangle `t` (or the background) at sample-grid point (sx, sy).
  auto shade = [&](uint32_t t, float sx, float sy, float lit, float& depth) -> V3 {
    V3 ray{(sx - half) * inv_f, -(sy - half) * inv_f, 1.0f};
    if (t == kNoTriangle) {
      V3 p = ray * kBackgroundZ;
      depth = kBackgroundZ;
      V3 albedo = bg_tex ? eval_texture(sc.background_texture, p) : sc.background;
      return light_surface(p, bg_normal, albedo, 0.0f, sc.light, lit);  // matte backdrop
    }
    const Tri& tri = tris_[t];
    const Vert* v[3] = {&verts_[tri.v[0]], &verts_[tri.v[1]], &verts_[tri.v[2]]};
    float w[3], sum = 0;
    for (int k = 0; k < 3; ++k) {
      float e = tri.ea[k] * sx + tri.eb[k] * sy + tri.ec[k];
      w[k] = std::clamp(e, 0.0f, 1.0f);  // clamp: never extrapolate off a sliver
      sum += w[k];
    }
    float izs = 0;
    for (int k = 0; k < 3; ++k) {
      w[k] = w[k] / sum * v[k]->iz;
      izs += w[k];
    }
    float z = 1.0f / izs;
    for (float& x : w) x *= z;
    V3 n = normalize(v[0]->nrm * w[0] + v[1]->nrm * w[1] + v[2]->nrm * w[2]);
    V3 p = ray * z;
    depth = z;
    const ObjectSpec& o = sc.objects[tri.key >> 16];
    V3 albedo = o.colour;
    if (o.texture.kind != TextureKind::none) {
      V3 q = v[0]->obj * w[0] + v[1]->obj * w[1] + v[2]->obj * w[2];
      albedo = lerp(albedo, eval_texture(o.texture, q), kTextureMix);
    }
    return light_surface(p, n, albedo, o.specular, sc.light);
  };

  for (int py = 0; py < R; ++py) {
    for (int px = 0; px < R; ++px) {
      size_t s0 = size_t(2 * py) * ns + 2 * px;
      uint32_t t[4] = {tbuf_[s0], tbuf_[s0 + 1], tbuf_[s0 + ns], tbuf_[s0 + ns + 1]};
      uint32_t key[4];
      for (int i = 0; i < 4; ++i) key[i] = t[i] == kNoTriangle ? kBackgroundKey : tris_[t[i]].key;
      V3 colour{0, 0, 0};
      uint32_t best_key = key[0];
      float best_depth = 0;
      int best_count = 0;
      if (key[0] == key[1] && key[0] == key[2] && key[0] == key[3]) {
        float lit = 1.0f;
        if (t[0] == kNoTriangle)
          lit = 1.0f - 0.25f * float(shadow_[s0] + shadow_[s0 + 1] + shadow_[s0 + ns] + shadow_[s0 + ns + 1]);
        colour = shade(t[0], float(2 * px + 1), float(2 * py + 1), lit, best_depth);
        best_count = 4;
        ++stats_.shaded;
      } else {
        bool done[4] = {false, false, false, false};
        for (int i = 0; i < 4; ++i) {
          if (done[i]) continue;
          int count = 0, shadowed = 0;
          float cx = 0, cy = 0;
          for (int j = i; j < 4; ++j)
            if (!done[j] && key[j] == key[i]) {
              done[j] = true;
              ++count;
              shadowed += shadow_[s0 + (j >> 1) * ns + (j & 1)];
              cx += float(2 * px + (j & 1)) + 0.5f;
              cy += float(2 * py + (j >> 1)) + 0.5f;
            }
          float depth;
          float lit = 1.0f - float(shadowed) / float(count);
          V3 c = shade(t[i], cx / float(count), cy / float(count), lit, depth);
          ++stats_.shaded;
          colour = colour + c * (0.25f * float(count));
          if (count > best_count || (count == best_count && depth < best_depth)) {
            best_count = count;
            best_key = key[i];
            best_depth = depth;
          }
        }
      }
      for (int i = 0; i < 4; ++i) stats_.covered_samples += t[i] != kNoTriangle;
      size_t o = size_t(py) * R + px;
      rgb[o] = std::clamp(colour.x, 0.0f, 1.0f);
      rgb[plane + o] = std::clamp(colour.y, 0.0f, 1.0f);
      rgb[2 * plane + o] = std::clamp(colour.z, 0.0f, 1.0f);
      if (labels) {
        if (best_key == kBackgroundKey) {
          labels->instance[o] = 0;
          labels->semantic[o] = 0;
        } else {
          const ObjectSpec& ob = sc.objects[best_key >> 16];
          labels->instance[o] = uint8_t(ob.instance);
          labels->semantic[o] = uint8_t(ob.cls + 1);
        }
        labels->depth[o] = uint8_t(std::min(255L, std::lround(best_depth * 100.0f)));
      }
    }
  }
}

}  // namespace ss::render
