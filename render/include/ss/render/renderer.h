// CPU rasteriser. One Renderer per thread (it owns its scratch buffers).
//
// Pipeline per image: build each object's mesh -> transform to camera space ->
// rasterise into a 2x2-supersampled visibility buffer (depth + triangle id, integer
// edge functions with a top-left rule, back faces culled) -> resolve each output pixel:
// samples are grouped by smooth patch (object part or background) and every group is
// shaded once at its samples' centroid (deferred, per pixel) and weighted by coverage.
// That is 2x2 supersampling for edges and depth/labels at the cost of ~1 shading
// evaluation per pixel ("render at 2R, downsample to R" without shading 4x).
// Shadows: every object's light-facing triangles are projected from the point light
// onto the background plane and rasterised as a coverage mask (hard shadows on the
// plane, anti-aliased by the same 2x2 samples; objects do not shadow each other).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "ss/render/mesh.h"
#include "ss/render/scene.h"

namespace ss::render {

// Per-pixel labels of a multi-object image (each R x R, row-major).
struct LabelPlanes {
  uint8_t* instance = nullptr;  // 0 = background, 1..4
  uint8_t* semantic = nullptr;  // 0 = background, 1..10 = class + 1
  uint8_t* depth = nullptr;     // camera-space z * 100, clipped to 255
};

struct RenderStats {
  int triangles = 0;      // submitted
  int shaded = 0;         // shading evaluations
  int covered_samples = 0;
};

class Renderer {
 public:
  explicit Renderer(int res);
  int res() const { return res_; }
  // Renders into planar linear RGB (3 x R x R, values in [0,1]); labels optional.
  void render(const Scene& scene, float* rgb, const LabelPlanes* labels = nullptr);
  const RenderStats& stats() const { return stats_; }

  // Focal length in output pixels and the camera-space ray through pixel (x, y)
  // (continuous pixel coordinates, (0,0) = top-left corner), with z = 1.
  float focal_pixels() const;
  V3 pixel_ray(float x, float y) const;

 private:
  struct Vert {
    V3 cam, nrm, obj;  // camera-space position and normal; texture-space position
    float sx, sy, iz;  // sample-grid position and 1/z
  };
  struct Tri {
    uint32_t v[3];
    uint32_t key;       // (object << 16) | part: samples with one key shade as one patch
    float ea[3], eb[3], ec[3];  // barycentric planes in sample coordinates
  };
  void add_object(const ObjectSpec& o, int index);
  void rasterize(uint32_t t);
  void cast_shadows(const Scene& scene);
  void rasterize_coverage(const float sx[3], const float sy[3]);
  void resolve(const Scene& scene, float* rgb, const LabelPlanes* labels);

  int res_, ns_;  // output resolution, samples per side (2 * res)
  float focal_;   // in samples
  std::vector<float> zbuf_;     // 1/z per sample (background plane preset)
  std::vector<uint32_t> tbuf_;  // triangle per sample, kNone = background
  std::vector<uint8_t> shadow_; // 1 where the background plane is in an object's shadow
  std::vector<Vert> verts_;
  std::vector<Tri> tris_;
  std::vector<std::array<uint32_t, 3>> shadow_tris_;  // every triangle, for shadow casting
  std::vector<int> tri_object_;
  Mesh mesh_;
  RenderStats stats_;
};

inline constexpr uint32_t kNoTriangle = 0xFFFFFFFFu;

}  // namespace ss::render
