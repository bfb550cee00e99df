// Shared helpers for the renderer tests.
#pragma once
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "ss/render/renderer.h"
#include "ss/render/scene.h"

namespace ss::render::testing {

// A fresh empty directory under the system temp dir, removed when the object dies.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) {
    path = std::filesystem::temp_directory_path() /
           ("ss_render_" + tag + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

struct Rendered {
  int res = 0;
  std::vector<float> rgb;  // 3 x R x R linear
  std::vector<uint8_t> inst, sem, depth;
  int covered_samples = 0;
};

inline Rendered render_scene(const Scene& sc, int res) {
  Renderer r(res);
  Rendered out;
  out.res = res;
  out.rgb.resize(3 * size_t(res) * res);
  out.inst.resize(size_t(res) * res);
  out.sem.resize(size_t(res) * res);
  out.depth.resize(size_t(res) * res);
  LabelPlanes lp{out.inst.data(), out.sem.data(), out.depth.data()};
  r.render(sc, out.rgb.data(), &lp);
  out.covered_samples = r.stats().covered_samples;
  return out;
}

// Hue (0..1) of a linear RGB colour.
inline float hue_of(float r, float g, float b) {
  float mx = std::fmax(r, std::fmax(g, b)), mn = std::fmin(r, std::fmin(g, b)), d = mx - mn;
  if (d <= 1e-6f) return 0;
  float h;
  if (mx == r) h = std::fmod((g - b) / d + 6.0f, 6.0f);
  else if (mx == g) h = (b - r) / d + 2.0f;
  else h = (r - g) / d + 4.0f;
  return h / 6.0f;
}

}  // namespace ss::render::testing
