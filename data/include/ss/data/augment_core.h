// Per-pixel augmentation rules shared by the CPU path (augment.cpp) and the CUDA kernels
// (data/cuda/augment.cu). Written as C++17 with SS_HD (host+device) functions so both
// compilers see the same arithmetic; CUDA uses __fmul_rn/__fadd_rn so nothing is fused
// into an FMA and results stay bit-identical to the CPU (ss_data builds with
// -ffp-contract=off for the same reason).
//
// The authors' pipeline (selfstudy util/augment.py, datasets/base.py), applied in this
// order: colour jitter -> grayscale -> horizontal flip -> pad-and-crop -> cutout.
// Everything is expressed as one gather per output pixel:
//   (y, x) --crop--> (y + cy - pad, x + cx - pad) --flip--> source pixel (or padding)
//   value = padding ? 0 : grayscale(jitter(src));   cutout square -> 0
// Zero is the value in *normalised* LAB space, i.e. the dataset mean colour, as in the
// authors' code (they zero-pad and cut out on normalised data).
#pragma once
#include <cstdint>

#include "ss/kernels/philox.h"

namespace ss::data {

inline constexpr float kLabMeanN[3] = {38.44f, 3.03f, 4.77f};
inline constexpr float kLabStdN[3] = {17.42f, 9.41f, 11.37f};
// Normalised value of a* = 0 and b* = 0 (grayscale): (0 - mean) / std.
inline constexpr float kGrayA = (0.0f - 3.03f) / 9.41f;
inline constexpr float kGrayB = (0.0f - 4.77f) / 11.37f;

// Everything random about one augmented sample, drawn on the host (draw_aug_params in
// augment.h) and applied identically by the CPU loops and the CUDA kernels.
struct AugParams {
  float scale[3] = {1.f, 1.f, 1.f};  // colour jitter: x * scale[c] + shift[c]
  float shift[3] = {0.f, 0.f, 0.f};
  int32_t jitter = 0;    // apply the colour jitter
  int32_t gray = 0;      // set a*, b* to 0 (LAB grayscale)
  int32_t flip = 0;      // horizontal flip
  int32_t pad = 0;       // crop padding (R/8); 0 = no crop
  int32_t crop_x = 0;    // crop window origin in the padded image, in [0, 2*pad]
  int32_t crop_y = 0;    //   (pad, pad) = no shift
  int32_t cut_size = 0;  // cutout square side (R/4); 0 = none
  int32_t cut_x = 0;     // cutout origin, in [0, R - cut_size]
  int32_t cut_y = 0;
};

// Output pixel (y, x) -> source pixel of the un-augmented image; false = padding.
SS_HD bool aug_source(const AugParams& p, int res, int y, int x, int* sy, int* sx) {
  int yy = y + p.crop_y - p.pad;
  int xx = x + p.crop_x - p.pad;
  if (yy < 0 || yy >= res || xx < 0 || xx >= res) return false;
  if (p.flip) xx = res - 1 - xx;
  *sy = yy;
  *sx = xx;
  return true;
}

SS_HD bool aug_in_cutout(const AugParams& p, int y, int x) {
  return p.cut_size > 0 && y >= p.cut_y && y < p.cut_y + p.cut_size && x >= p.cut_x &&
         x < p.cut_x + p.cut_size;
}

SS_HD float aug_mul_add(float v, float s, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(__fmul_rn(v, s), b);
#else
  const float t = v * s;
  return t + b;
#endif
}

// Colour ops on a normalised LAB value of channel c (0 = L, 1 = a, 2 = b).
SS_HD float aug_colour(const AugParams& p, int c, float v) {
  if (p.jitter) v = aug_mul_add(v, p.scale[c], p.shift[c]);
  if (p.gray && c == 1) v = kGrayA;
  if (p.gray && c == 2) v = kGrayB;
  return v;
}

// One output value of an augmented image; `img` is that sample's 3 x R x R planes.
SS_HD float aug_image_value(const AugParams& p, int res, const float* img, int c, int y, int x) {
  if (aug_in_cutout(p, y, x)) return 0.0f;
  int sy, sx;
  if (!aug_source(p, res, y, x, &sy, &sx)) return 0.0f;
  return aug_colour(p, c, img[(int64_t(c) * res + sy) * res + sx]);
}

// One output value of geometrically augmented dense targets (uint8 3 x R x R: instance
// id, semantic class, depth*100). Padding reads 0 (background, no depth). Colour ops and
// cutout never touch targets.
SS_HD uint8_t aug_dense_value(const AugParams& p, int res, const uint8_t* tgt, int c, int y, int x) {
  int sy, sx;
  if (!aug_source(p, res, y, x, &sy, &sx)) return 0;
  return tgt[(int64_t(c) * res + sy) * res + sx];
}

// Nearest-neighbour source row/column when resizing `in` pixels to `out` pixels
// (PyTorch F.interpolate(mode='nearest'): floor(o * in / out)).
SS_HD int nearest_src(int o, int in, int out) {
  return int((int64_t(o) * in) / out);
}

// Decoded dense targets at one output pixel (after augmentation and nearest resize):
// semantic class, instance id, depth in stored units / 100, mask = depth stored > 0.
SS_HD void dense_decode(const AugParams& p, int res, const uint8_t* tgt, int out_size, int oy,
                        int ox, int64_t* seg, int64_t* inst, float* depth, float* mask) {
  const int y = nearest_src(oy, res, out_size), x = nearest_src(ox, res, out_size);
  const uint8_t i = aug_dense_value(p, res, tgt, 0, y, x);
  const uint8_t s = aug_dense_value(p, res, tgt, 1, y, x);
  const uint8_t d = aug_dense_value(p, res, tgt, 2, y, x);
  *inst = int64_t(i);
  *seg = int64_t(s);
  *depth = float(d) / 100.0f;
  *mask = d > 0 ? 1.0f : 0.0f;
}

}  // namespace ss::data
