// Scene description and sampling. A scene is a pure function of (config, image index):
// the factor bits T C V L decide which parameters are random (REFERENCE §2).
//
// Camera: pinhole at the origin looking along +z, y up, 34 degree field of view.
// Background plane: z = kBackgroundZ, facing the camera. Single-object scenes put one
// object (bounding-box diagonal 1) at z = kObjectZ; multi-object scenes put 4 smaller
// objects of random classes at random positions in front of the plane.
// Object placement: p_cam = centre + kCanonicalView * R * S * p_obj, where R is the
// object rotation stored as `rot_mat` (identity = canonical pose) and S the random
// anisotropic scale (each axis in [0.9, 1.1]).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ss/render/mesh.h"
#include "ss/render/texture.h"
#include "ss/render/vec.h"

namespace ss::render {

inline constexpr float kFovDegrees = 34.0f;
inline constexpr float kObjectZ = 1.9f;
inline constexpr float kBackgroundZ = 2.5f;  // depth 250 in the uint8 depth target
inline constexpr float kLightRadius = 2.0f;
inline constexpr int kObjectsPerMultiScene = 4;

// Canonical viewpoint: the object is turned 35 degrees about y and tilted 22 degrees
// towards the camera, so the front, one side and the top are visible.
M3 canonical_view();

// The factor bits in the order T C V L, e.g. "1011".
struct Factors {
  bool texture = false;        // T: procedural textures on object and background
  bool random_colour = false;  // C: uniformly random colour instead of class colour
  bool random_view = false;    // V: random rotation instead of canonical pose + jitter
  bool random_light = false;   // L: randomised light position instead of a fixed light
  static Factors parse(const std::string& bits);  // throws ss::Error on bad bits
  std::string bits() const;
};
// The authors' 12 datasets (REFERENCE §2), the default set of `render --all`.
const std::vector<std::string>& authors_sets();

struct ObjectSpec {
  int cls = 0;             // 0..9
  uint64_t shape_id = 0;   // shape instance (bucket * kShapesPerBucket + k)
  int instance = 1;        // 1..4 in multi-object scenes
  M3 rot;                  // R, relative to the canonical pose (rot_mat)
  V3 scale{1, 1, 1};       // anisotropic scale S
  float size = 1.0f;       // bounding-box diagonal before S
  V3 centre{0, 0, kObjectZ};
  V3 colour{0.5f, 0.5f, 0.5f};  // linear RGB base colour
  Texture texture;              // kind none when T is off
  float specular = 0.25f;
  const Mesh* custom_mesh = nullptr;  // tests: render this mesh instead of the class shape
};

struct Scene {
  std::vector<ObjectSpec> objects;
  V3 light{0, 0, 0};            // point light position (camera space)
  V3 background{0.3f, 0.3f, 0.3f};  // linear RGB
  Texture background_texture;   // kind none when T is off
};

struct SceneConfig {
  Factors factors;
  bool multi = false;
  uint64_t seed = 0;
  int64_t count = 1;  // dataset size N (defines the shape buckets)
};

// Class of single-object image `index`: each block of 10 consecutive indices holds
// every class once, in a seeded random order (classes are balanced in every split).
int class_of(uint64_t seed, int64_t index);
Scene sample_scene(const SceneConfig& cfg, int64_t index);

// Reference hue (0..1) of each class used when C is off.
float class_hue(int cls);
V3 hsv_to_srgb(float h, float s, float v);
V3 srgb_to_linear(V3 c);

}  // namespace ss::render
