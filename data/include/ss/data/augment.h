// Data augmentation with the authors' parameters (REFERENCE §2), deterministic under a
// seed, on CPU and (when built with SS_WITH_CUDA) on the GPU with identical results.
//
//   colour jitter  p = 0.8   per channel x * 2^(0.25 z1) + 0.25 z2, z1, z2 ~ N(0, 1)
//                            (independent draws per channel, as in the authors' code;
//                            they draw once per chunk of ~N/500 images, we per image:
//                            same distribution for every image)
//   grayscale      p = 0.25  LAB grayscale: a* = b* = 0 in un-normalised space, i.e. the
//                            normalised a, b planes are set to (0 - mean) / std. (The
//                            authors average the three normalised LAB channels, which is
//                            not a grayscale image; we do the meaningful thing.)
//   flip           p = 0.5   horizontal
//   crop                     zero padding R/8, crop origin uniform over the (2p+1)^2
//                            positions plus floor(25%) extra "no shift" entries, exactly
//                            the authors' option list (they apply a random 500-entry
//                            subset per epoch; per image the distribution is the same)
//   cutout         always    an (R/4)^2 square set to 0, origin uniform in [0, R - R/4]^2
// Images are normalised LAB, so 0 (padding, cutout) is the dataset's mean colour.
// Dense targets get flip and crop (padding = 0: background, no depth); colour ops and
// cutout apply to images only.
//
// Randomness: every sample's parameters are a pure function of (seed, epoch, position,
// view) through Philox4x32-10, drawn on the host and shared by the CPU and CUDA paths,
// so results never depend on threading or on the device.
#pragma once
#include <cstdint>
#include <vector>

#include "ss/data/augment_core.h"
#include "ss/tensor.h"

namespace ss::data {

struct AugmentConfig {
  bool color_jitter = true;
  bool grayscale = true;
  bool flip = true;
  bool crop = true;
  bool cutout = true;
  float jitter_prob = 0.8f;
  float gray_prob = 0.25f;
  float flip_prob = 0.5f;
  float jitter_scale_std = 0.25f;  // x * 2^(std * z)
  float jitter_shift_std = 0.25f;  // + std * z
  int crop_pad = -1;               // -1: R/8
  int cutout_size = -1;            // -1: R/4
  static AugmentConfig none();     // everything off (identity)
};

// The parameters of one sample. `view` separates the two views of a double-sampled batch
// (AMDIM); pass the same (seed, epoch, position) for both.
AugParams draw_aug_params(const AugmentConfig& cfg, int res, uint64_t seed, uint64_t epoch,
                          uint64_t position, uint32_t view = 0);
// Parameters for positions [first, first + count) of an epoch.
std::vector<AugParams> draw_aug_params(const AugmentConfig& cfg, int res, uint64_t seed,
                                       uint64_t epoch, uint64_t first, int64_t count,
                                       uint32_t view = 0);
AugParams identity_params();

// Raw-pointer CPU kernels (n samples, 3 x R x R each; out must not alias in). `threads`
// > 1 splits the samples over OpenMP threads (results do not depend on it).
void augment_images_cpu(const AugParams* params, int64_t n, int res, const float* in, float* out,
                        int threads = 1);
void augment_dense_cpu(const AugParams* params, int64_t n, int res, const uint8_t* in, uint8_t* out,
                       int threads = 1);
// Augmented, nearest-resized and decoded dense targets (out_size x out_size per sample).
// params may be null (no augmentation). depth/mask/seg/inst may each be null.
void decode_dense_cpu(const AugParams* params, int64_t n, int res, const uint8_t* in,
                      int out_size, int64_t* seg, int64_t* inst, float* depth, float* mask,
                      int threads = 1);

// Tensor API: CPU or CUDA tensors (CUDA runs the kernels in data/cuda/augment.cu).
// x: f32 [B,3,R,R] -> augmented copy on the same device.
Tensor augment_images(const Tensor& x, const std::vector<AugParams>& params);
// t: u8 [B,3,R,R] dense targets -> geometrically augmented copy.
Tensor augment_dense(const Tensor& t, const std::vector<AugParams>& params);

struct DenseTargets {
  Tensor seg;       // i64 [B, h, w] semantic class (0 = background)
  Tensor instance;  // i64 [B, h, w] instance id (0 = none)
  Tensor depth;     // f32 [B, 1, h, w] stored depth / 100
  Tensor mask;      // f32 [B, 1, h, w] 1 where stored depth > 0 (0: no depth there)
};
// t: u8 [B,3,R,R]; params empty = no augmentation; out_size: target resolution
// (REFERENCE §3: dense heads work at 16 x 16); 0 = R.
DenseTargets decode_dense(const Tensor& t, const std::vector<AugParams>& params, int out_size);

}  // namespace ss::data
