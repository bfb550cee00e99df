#include "ss/data/labels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ss/kernels/error.h"

namespace ss::data {

double rotation_angle(const double r[9]) {
  const double c = std::clamp((r[0] + r[4] + r[8] - 1.0) / 2.0, -1.0, 1.0);
  return std::acos(c);
}

double forward_azimuth(const double r[9]) {
  // f = R * (0, 0, -1) = -(third column); psi = atan2(-f_x, -f_z) = atan2(r02, r22).
  return std::atan2(r[2], r[8]);
}

int64_t pose_class(const double r[9]) {
  if (rotation_angle(r) < kPoseCanonicalAngle) return 0;
  constexpr double kPi = 3.14159265358979323846;
  const double psi = forward_azimuth(r);
  int64_t q = int64_t(std::floor((psi + kPi / 4) / (kPi / 2)));
  q = ((q % 4) + 4) % 4;
  return 1 + q;
}

void pose_classes(const double* r, int64_t n, int64_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = pose_class(r + 9 * i);
}

Tensor resize_nearest(const Tensor& x_in, int64_t h, int64_t w) {
  SS_CHECK(x_in.dim() == 4, "resize_nearest expects [B, C, H, W], got ", x_in.desc());
  SS_CHECK(h > 0 && w > 0, "resize_nearest: target size ", h, "x", w, " must be positive");
  const Device dev = x_in.device();
  Tensor x = (dev.is_cuda() ? x_in.to(Device::cpu()) : x_in).contiguous();
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  Tensor y = Tensor::empty({B, C, h, w}, x.dtype());
  const size_t es = dtype_size(x.dtype());
  const auto* src = static_cast<const unsigned char*>(x.raw());
  auto* dst = static_cast<unsigned char*>(y.raw());
  for (int64_t p = 0; p < B * C; ++p)
    for (int64_t oy = 0; oy < h; ++oy) {
      const int64_t sy = oy * H / h;
      for (int64_t ox = 0; ox < w; ++ox) {
        const int64_t sx = ox * W / w;
        std::memcpy(dst + ((p * h + oy) * w + ox) * es, src + ((p * H + sy) * W + sx) * es, es);
      }
    }
  return dev.is_cuda() ? y.to(dev) : y;
}

}  // namespace ss::data
