#include "ss/render/contact_sheet.h"

#include <algorithm>
#include <vector>

#include "ss/kernels/error.h"
#include "ss/render/h5io.h"
#include "ss/render/lab.h"
#include "ss/render/png_io.h"
#include "ss/render/scene.h"

namespace ss::render {

void class_palette(int k, uint8_t rgb[3]) {
  if (k <= 0) {
    rgb[0] = rgb[1] = rgb[2] = 0;
    return;
  }
  V3 c = hsv_to_srgb(class_hue(k - 1), 0.75f, 0.95f);
  rgb[0] = uint8_t(c.x * 255.f + 0.5f);
  rgb[1] = uint8_t(c.y * 255.f + 0.5f);
  rgb[2] = uint8_t(c.z * 255.f + 0.5f);
}

std::string write_contact_sheet(const std::string& h5_path, const std::string& png_path, int grid) {
  h5::Reader r(h5_path);
  h5::DatasetInfo di = r.info("data");
  SS_CHECK(di.dims.size() == 4 && di.dims[1] == 3 && di.dims[2] == di.dims[3], "'", h5_path,
           "': data must be N x 3 x R x R");
  const int64_t N = di.dims[0], R = di.dims[2];
  const int64_t n = std::min<int64_t>(N, int64_t(grid) * grid);
  h5::DatasetInfo ti = r.info("targets");
  const bool dense = ti.dims.size() == 4;
  std::vector<float> data = r.read_data(0, n);
  std::vector<uint8_t> targets = dense ? r.read_dense(0, n) : std::vector<uint8_t>();
  const int panels = dense ? 3 : 1;
  const int64_t W = grid * R * panels, H = std::max<int64_t>(1, (n + grid - 1) / grid) * R;
  std::vector<uint8_t> img(size_t(W) * H * 3, 255);
  const size_t plane = size_t(R) * R;
  for (int64_t i = 0; i < n; ++i) {
    int64_t ox = (i % grid) * R * panels, oy = (i / grid) * R;
    const float* d = data.data() + size_t(i) * 3 * plane;
    for (int64_t y = 0; y < R; ++y)
      for (int64_t x = 0; x < R; ++x) {
        size_t p = size_t(y) * R + x;
        float lab[3] = {d[p], d[plane + p], d[2 * plane + p]}, srgb[3];
        denormalize_lab(lab);
        lab_to_srgb(lab, srgb);
        uint8_t* px = &img[(size_t(oy + y) * W + ox + x) * 3];
        for (int c = 0; c < 3; ++c) px[c] = uint8_t(std::clamp(srgb[c], 0.f, 1.f) * 255.f + 0.5f);
        if (!dense) continue;
        const uint8_t* t = targets.data() + size_t(i) * 3 * plane;
        uint8_t* seg = px + R * 3;
        class_palette(t[plane + p], seg);
        uint8_t* dep = px + 2 * R * 3;
        // Depth 140..255 (x100) -> bright near, dark far.
        int v = 255 - std::clamp((int(t[2 * plane + p]) - 140) * 255 / 115, 0, 255);
        dep[0] = dep[1] = dep[2] = uint8_t(v);
      }
  }
  write_png_rgb(png_path, int(W), int(H), img);
  return png_path;
}

}  // namespace ss::render
