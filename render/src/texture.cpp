// Procedural solid textures. Value noise uses an integer lattice hash, so it is
// deterministic and needs no tables.
#include "ss/render/texture.h"

#include <algorithm>
#include <cmath>

#include "ss/render/rng.h"
#include "ss/render/scene.h"

namespace ss::render {

namespace {
inline float lattice(int x, int y, int z) {
  uint32_t h = uint32_t(x) * 0x8DA6B343u ^ uint32_t(y) * 0xD8163841u ^ uint32_t(z) * 0xCB1AB31Fu;
  h ^= h >> 15;
  h *= 0x2C1B3C6Du;
  h ^= h >> 12;
  h *= 0x297A2D39u;
  h ^= h >> 15;
  return float(h >> 8) * (1.0f / 16777216.0f);
}
inline float smooth(float t) { return t * t * (3.0f - 2.0f * t); }
inline float mixf(float a, float b, float t) { return a + (b - a) * t; }
inline float fract(float x) { return x - std::floor(x); }

float fbm(V3 p, int octaves) {
  float sum = 0, amp = 0.5f, norm = 0;
  for (int o = 0; o < octaves; ++o) {
    sum += amp * value_noise(p);
    norm += amp;
    p = p * 2.03f + V3{17.1f, 5.3f, 11.7f};
    amp *= 0.5f;
  }
  return sum / norm;
}
}  // namespace

float value_noise(V3 p) {
  float fx = std::floor(p.x), fy = std::floor(p.y), fz = std::floor(p.z);
  int x = int(fx), y = int(fy), z = int(fz);
  float tx = smooth(p.x - fx), ty = smooth(p.y - fy), tz = smooth(p.z - fz);
  float c00 = mixf(lattice(x, y, z), lattice(x + 1, y, z), tx);
  float c10 = mixf(lattice(x, y + 1, z), lattice(x + 1, y + 1, z), tx);
  float c01 = mixf(lattice(x, y, z + 1), lattice(x + 1, y, z + 1), tx);
  float c11 = mixf(lattice(x, y + 1, z + 1), lattice(x + 1, y + 1, z + 1), tx);
  return mixf(mixf(c00, c10, ty), mixf(c01, c11, ty), tz);
}

Texture random_texture(Rng& r) {
  Texture t;
  t.kind = static_cast<TextureKind>(r.below(kNumTextureKinds));
  // Two colours with a guaranteed brightness contrast, like a photo texture.
  V3 a = hsv_to_srgb(r.uniform(), r.uniform(0.0f, 0.6f), r.uniform(0.1f, 0.4f));
  V3 b = hsv_to_srgb(r.uniform(), r.uniform(0.0f, 0.6f), r.uniform(0.5f, 0.9f));
  if (r.chance(0.5f)) std::swap(a, b);
  t.c0 = srgb_to_linear(a);
  t.c1 = srgb_to_linear(b);
  t.frame = rot_z(r.uniform(0.f, 6.2831853f)) * rot_y(r.uniform(0.f, 6.2831853f)) *
            rot_x(r.uniform(0.f, 6.2831853f));
  t.offset = {r.uniform(0.f, 10.f), r.uniform(0.f, 10.f), r.uniform(0.f, 10.f)};
  switch (t.kind) {
    case TextureKind::noise: t.freq = r.uniform(3.f, 8.f); t.param = 0; break;
    case TextureKind::stripes: t.freq = r.uniform(2.5f, 7.f); t.param = r.uniform(0.3f, 0.7f); break;
    case TextureKind::checker: t.freq = r.uniform(2.f, 5.f); t.param = 0; break;
    case TextureKind::marble: t.freq = r.uniform(1.5f, 4.f); t.param = r.uniform(1.0f, 3.0f); break;
    case TextureKind::dots: t.freq = r.uniform(3.f, 7.f); t.param = r.uniform(0.2f, 0.4f); break;
    default: break;
  }
  return t;
}

V3 eval_texture(const Texture& t, V3 p) {
  if (t.kind == TextureKind::none) return t.c0;
  V3 q = t.frame * (p * t.freq) + t.offset;
  float s = 0;
  switch (t.kind) {
    case TextureKind::noise: {
      float n = fbm(q, 3);
      s = std::min(1.f, std::max(0.f, (n - 0.5f) * 2.5f + 0.5f));
      break;
    }
    case TextureKind::stripes: {
      float f = fract(q.x);
      float w = 0.08f;  // soft edge, avoids aliasing
      s = smooth(std::min(1.f, std::max(0.f, (f - t.param + w) / (2 * w)))) *
          smooth(std::min(1.f, std::max(0.f, (1.f - f + w) / (2 * w))));
      break;
    }
    case TextureKind::checker: {
      // Soft-edged 3-D checker: the sign of a product of sines, smoothed at the edges.
      float v = std::sin(3.14159265f * q.x) * std::sin(3.14159265f * q.y) *
                std::sin(3.14159265f * q.z);
      s = smooth(std::min(1.f, std::max(0.f, v * 4.0f + 0.5f)));
      break;
    }
    case TextureKind::marble: {
      float n = fbm(q * 1.7f, 3);
      s = 0.5f + 0.5f * std::sin(6.2831853f * (q.x + t.param * n));
      break;
    }
    case TextureKind::dots: {
      V3 f{fract(q.x) - 0.5f, fract(q.y) - 0.5f, fract(q.z) - 0.5f};
      float d = std::sqrt(dot(f, f));
      s = 1.f - smooth(std::min(1.f, std::max(0.f, (d - t.param) / 0.06f + 0.5f)));
      break;
    }
    default: break;
  }
  return lerp(t.c0, t.c1, s);
}

}  // namespace ss::render
