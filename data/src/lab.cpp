#include "ss/data/lab.h"

#include "ss/data/gpu.h"
#include "ss/kernels/error.h"
#include "ss/render/lab.h"

namespace ss::data {

namespace {
// [..., 3, H, W] -> (images, plane)
void geometry(const Tensor& t, const char* what, int64_t* n, int64_t* plane) {
  SS_CHECK(t.dtype() == DType::F32, what, ": expected f32, got ", t.desc());
  SS_CHECK(t.dim() >= 3 && t.size(-3) == 3, what, ": expected [..., 3, H, W], got ", t.desc());
  *plane = t.size(-1) * t.size(-2);
  *n = *plane == 0 ? 0 : t.numel() / (3 * *plane);
}
}  // namespace

Tensor srgb_to_lab(const Tensor& rgb_in) {
  int64_t n, plane;
  geometry(rgb_in, "srgb_to_lab", &n, &plane);
  Tensor rgb = rgb_in.contiguous();
  Tensor lab = Tensor::empty(rgb.shape(), DType::F32, rgb.device());
  if (rgb.is_cuda()) {
    gpu::srgb_to_lab(rgb.data<float>(), lab.data<float>(), n, plane);
    return lab;
  }
  const float* s = rgb.data<float>();
  float* d = lab.data<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < plane; ++p) {
      const int64_t o = i * 3 * plane + p;
      float in[3] = {s[o], s[o + plane], s[o + 2 * plane]}, out[3];
      ss::render::srgb_to_lab(in, out);
      ss::render::normalize_lab(out);
      d[o] = out[0];
      d[o + plane] = out[1];
      d[o + 2 * plane] = out[2];
    }
  return lab;
}

Tensor lab_to_srgb(const Tensor& lab_in) {
  int64_t n, plane;
  geometry(lab_in, "lab_to_srgb", &n, &plane);
  Tensor lab = lab_in.contiguous();
  Tensor rgb = Tensor::empty(lab.shape(), DType::F32, lab.device());
  if (lab.is_cuda()) {
    gpu::lab_to_srgb(lab.data<float>(), rgb.data<float>(), n, plane);
    return rgb;
  }
  const float* s = lab.data<float>();
  float* d = rgb.data<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < plane; ++p) {
      const int64_t o = i * 3 * plane + p;
      float in[3] = {s[o], s[o + plane], s[o + 2 * plane]}, out[3];
      ss::render::denormalize_lab(in);
      ss::render::lab_to_srgb(in, out);
      d[o] = out[0];
      d[o + plane] = out[1];
      d[o + 2 * plane] = out[2];
    }
  return rgb;
}

}  // namespace ss::data
