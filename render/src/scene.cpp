// Scene sampling: everything an image needs, drawn from its own counter-based stream.
#include "ss/render/scene.h"

#include <algorithm>
#include <cmath>

#include "ss/kernels/error.h"
#include "ss/render/rng.h"
#include "ss/render/shapes.h"
#include "ss/render/splits.h"

namespace ss::render {

M3 canonical_view() { return rot_x(-0.38f) * rot_y(0.61f); }

Factors Factors::parse(const std::string& bits) {
  bool ok = bits.size() == 4 && std::all_of(bits.begin(), bits.end(), [](char c) { return c == '0' || c == '1'; });
  SS_CHECK(ok, "unknown dataset bits '", bits,
           "': expected 4 characters of 0/1 in the order T C V L (texture, colour, viewpoint, "
           "lighting), e.g. 1011");
  Factors f;
  f.texture = bits[0] == '1';
  f.random_colour = bits[1] == '1';
  f.random_view = bits[2] == '1';
  f.random_light = bits[3] == '1';
  return f;
}

std::string Factors::bits() const {
  std::string s = "0000";
  s[0] = texture ? '1' : '0';
  s[1] = random_colour ? '1' : '0';
  s[2] = random_view ? '1' : '0';
  s[3] = random_light ? '1' : '0';
  return s;
}

const std::vector<std::string>& authors_sets() {
  static const std::vector<std::string> sets = {"0000", "0100", "0110", "0001", "0101", "0010",
                                                "0111", "1000", "1011", "1100", "1110", "1111"};
  return sets;
}

float class_hue(int cls) { return std::fmod(0.03f + 0.1f * float(cls), 1.0f); }

V3 hsv_to_srgb(float h, float s, float v) {
  h = (h - std::floor(h)) * 6.0f;
  int i = std::min(5, int(h));
  float f = h - float(i), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (i) {
    case 0: return {v, t, p};
    case 1: return {q, v, p};
    case 2: return {p, v, t};
    case 3: return {p, q, v};
    case 4: return {t, p, v};
    default: return {v, p, q};
  }
}

V3 srgb_to_linear(V3 c) {
  auto f = [](float x) { return x <= 0.04045f ? x / 12.92f : std::pow((x + 0.055f) / 1.055f, 2.4f); };
  return {f(c.x), f(c.y), f(c.z)};
}

int class_of(uint64_t seed, int64_t index) {
  Rng r(seed, Domain::class_order, uint64_t(index / kNumClasses));
  int perm[kNumClasses];
  for (int i = 0; i < kNumClasses; ++i) perm[i] = i;
  for (int i = kNumClasses - 1; i > 0; --i) std::swap(perm[i], perm[r.below(i + 1)]);
  return perm[index % kNumClasses];
}

namespace {
// Euler-angle rotation R = Rz(c) Ry(b) Rx(a).
M3 euler(float a, float b, float c) { return rot_z(c) * rot_y(b) * rot_x(a); }

void sample_object(Rng& r, const SceneConfig& cfg, int bucket, ObjectSpec& o) {
  const Factors& f = cfg.factors;
  o.shape_id = uint64_t(bucket) * kShapesPerBucket + uint64_t(r.below(kShapesPerBucket));
  // V: authors add N(0, 0.5) rad to each Euler angle; canonical pose jitters by N(0, 0.05).
  float sd = f.random_view ? 0.5f : 0.05f;
  float ea = r.normal(0, sd), eb = r.normal(0, sd), ec = r.normal(0, sd);
  o.rot = euler(ea, eb, ec);
  o.scale = {r.uniform(0.9f, 1.1f), r.uniform(0.9f, 1.1f), r.uniform(0.9f, 1.1f)};
  // C: class hue with a small spread, or a uniformly random sRGB colour.
  float h = class_hue(o.cls) + r.normal(0, 0.015f);
  float s = r.uniform(0.45f, 0.75f), v = r.uniform(0.55f, 0.85f);
  V3 rnd{r.uniform(), r.uniform(), r.uniform()};
  o.colour = srgb_to_linear(f.random_colour ? rnd : hsv_to_srgb(h, s, v));
  o.specular = r.uniform(0.1f, 0.4f);
  Texture t = random_texture(r);  // always drawn, so the stream layout is factor-free
  if (f.texture) o.texture = t;
}

V3 fixed_light(V3 centre) { return centre + normalize(V3{-0.55f, 0.75f, -0.9f}) * kLightRadius; }

V3 random_light(Rng& r, V3 centre) {
  // Uniform on the sphere of radius 2 around the scene centre, restricted to points in
  // front of the background plane (a light behind the plane would light nothing).
  for (int tries = 0; tries < 64; ++tries) {
    V3 d{r.normal(), r.normal(), r.normal()};
    d = normalize(d);
    V3 p = centre + d * kLightRadius;
    if (p.z < kBackgroundZ - 0.1f) return p;
  }
  return fixed_light(centre);
}
}  // namespace

Scene sample_scene(const SceneConfig& cfg, int64_t index) {
  SS_CHECK(index >= 0 && index < cfg.count, "image index ", index, " outside [0, ", cfg.count, ")");
  Rng r(cfg.seed, Domain::image, uint64_t(index));
  Scene sc;
  int bucket = bucket_of(index, cfg.count);
  int n = cfg.multi ? kObjectsPerMultiScene : 1;
  sc.objects.resize(n);
  for (int i = 0; i < n; ++i) {
    ObjectSpec& o = sc.objects[i];
    o.instance = i + 1;
    o.cls = cfg.multi ? r.below(kNumClasses) : class_of(cfg.seed, index);
    sample_object(r, cfg, bucket, o);
    if (cfg.multi) {
      o.size = r.uniform(0.45f, 0.62f);
      // Spread the objects: a few tries to keep centres apart, then accept.
      for (int tries = 0; tries < 8; ++tries) {
        float z = r.uniform(1.6f, 2.15f);
        float reach = z * std::tan(0.5f * kFovDegrees * 3.14159265f / 180.f) - 0.2f;
        o.centre = {r.uniform(-reach, reach), r.uniform(-reach, reach), z};
        bool far = true;
        for (int j = 0; j < i; ++j) {
          V3 d = sc.objects[j].centre - o.centre;
          if (d.x * d.x + d.y * d.y < 0.3f * 0.3f) far = false;
        }
        if (far) break;
      }
    } else {
      o.size = 1.0f;
      o.centre = {r.normal(0, 0.02f), r.normal(0, 0.02f), kObjectZ + r.normal(0, 0.03f)};
    }
  }
  V3 centre{0, 0, kObjectZ};
  V3 lr = random_light(r, centre);
  sc.light = cfg.factors.random_light ? lr : fixed_light(centre);
  // Background: a light, slightly tinted grey, independent of the object's class.
  float g = r.uniform(0.2f, 0.7f);
  V3 bg{g + r.uniform(-0.06f, 0.06f), g + r.uniform(-0.06f, 0.06f), g + r.uniform(-0.06f, 0.06f)};
  sc.background = srgb_to_linear(bg);
  Texture bt = random_texture(r);
  if (cfg.factors.texture) sc.background_texture = bt;
  return sc;
}

}  // namespace ss::render
