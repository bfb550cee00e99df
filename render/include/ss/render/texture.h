// Procedural solid textures (evaluated at a 3-D point, so no UV maps are needed):
// value-noise fBm, stripes, 3-D checker, marble and dots. Each blends two colours.
#pragma once
#include <cstdint>

#include "ss/render/vec.h"

namespace ss::render {

enum class TextureKind : int { none = -1, noise = 0, stripes = 1, checker = 2, marble = 3, dots = 4 };
inline constexpr int kNumTextureKinds = 5;

struct Texture {
  TextureKind kind = TextureKind::none;
  V3 c0{0, 0, 0}, c1{1, 1, 1};  // linear RGB
  M3 frame;                     // random orientation of the pattern
  V3 offset{0, 0, 0};
  float freq = 4.0f;            // cycles per unit length
  float param = 0.5f;           // kind-specific: stripe duty, marble warp, dot radius
};

class Rng;
Texture random_texture(Rng& rng);
// Colour of the texture at point p.
V3 eval_texture(const Texture& t, V3 p);
// Value noise in [0,1] (trilinear, smooth), exposed for tests.
float value_noise(V3 p);

}  // namespace ss::render
