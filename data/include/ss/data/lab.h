// RGB <-> normalised LAB for tensors, CPU and CUDA. The per-pixel conversion and the
// constants are the renderer's (render/include/ss/render/lab.h: sRGB D65, 2-degree
// observer, skimage-compatible; mean [38.44, 3.03, 4.77], std [17.42, 9.41, 11.37]); the
// CUDA kernels repeat the same formulas with the same constants (checked at compile time)
// and agree with the CPU to float rounding (~1e-5), not bit-for-bit (device cbrtf/powf).
#pragma once
#include "ss/tensor.h"

namespace ss::data {

// f32 [..., 3, H, W] gamma-encoded sRGB in [0, 1] -> normalised LAB, same shape/device.
Tensor srgb_to_lab(const Tensor& rgb);
// Normalised LAB -> sRGB clipped to [0, 1] (for viewing batches).
Tensor lab_to_srgb(const Tensor& lab);

}  // namespace ss::data
