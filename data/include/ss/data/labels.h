// Labels derived from the dataset fields.
//
// Pose (REFERENCE §5), 5 classes from rot_mat R (row-major, object -> canonical frame;
// the renderer's object space is y up, x right, front facing -z towards the camera, and
// R = identity is the canonical pose):
//   angle = arccos(clamp((trace(R) - 1) / 2, -1, 1))      geodesic angle from identity
//   angle < pi/8                       -> class 0 (canonical)
//   else f = R * (0, 0, -1)            the rotated forward (front) axis
//        psi = atan2(-f_x, -f_z)       its azimuth about the vertical y axis, in (-pi, pi];
//                                      a rotation by theta about +y gives psi = theta
//        q = floor((psi + pi/4) / (pi/2)) mod 4
//        class 1 + q: 1 front  psi in [-pi/4, pi/4)
//                     2 left   psi in [pi/4, 3pi/4)
//                     3 back   psi in [3pi/4, pi] or [-pi, -3pi/4)
//                     4 right  psi in [-3pi/4, -pi/4)
//   (f pointing straight up/down has psi = atan2(0, 0) = 0 -> class 1.)
// The authors' helper.get_pose_class_idx uses Blender's frame (z up): it bins the polar
// angle of R's second column (< pi/8 -> 0) and its azimuth atan2(r_x, r_y) into the same
// four half-open quadrants. Their frame does not exist in our files, so we state the rule
// in the renderer's frame; the structure (one canonical bin, four azimuth quadrants) is
// theirs, the canonical test uses the rotation angle as REFERENCE §5 says.
//
// Dense (multi-object) targets uint8 [3, R, R] = [instance id, semantic class, depth*100]:
// segmentation = channel 1 (i64), instance = channel 0 (i64), depth = channel 2 / 100
// (f32, the renderer's camera-space z in scene units), depth mask = stored depth > 0
// (0 where there is no depth, e.g. crop padding; our renderer's background has depth).
#pragma once
#include <cstdint>

#include "ss/tensor.h"

namespace ss::data {

inline constexpr int kNumPoseClasses = 5;
inline constexpr double kPoseCanonicalAngle = 3.14159265358979323846 / 8;

double rotation_angle(const double r[9]);
double forward_azimuth(const double r[9]);
int64_t pose_class(const double r[9]);
void pose_classes(const double* r, int64_t n, int64_t* out);

// Nearest-neighbour resize of [B, C, H, W] (any dtype, CPU or CUDA via the CPU) to
// [B, C, h, w], PyTorch mode='nearest' (source = floor(dst * in / out)).
Tensor resize_nearest(const Tensor& x, int64_t h, int64_t w);

}  // namespace ss::data
