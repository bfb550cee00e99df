// The ten procedural object classes. Each class is a parametric family assembled from
// primitives with randomised proportions and part choices; a shape instance is a pure
// function of (seed, class, shape id). Meshes come out centred with bounding-box
// diagonal 1 (the ShapeNet convention), y up, front towards -z.
#pragma once
#include <cstdint>

#include "ss/render/mesh.h"

namespace ss::render {

inline constexpr int kNumClasses = 10;
// Shape instances per class in each of the 12 index buckets (REFERENCE §2): bucket b
// uses shape ids [b * kShapesPerBucket, (b + 1) * kShapesPerBucket), so train, valid and
// test never share a shape instance.
inline constexpr int kNumBuckets = 12;
inline constexpr int kShapesPerBucket = 256;

// One fixed shape library for every dataset and seed (as ShapeNet is for the authors):
// the dataset seed picks which instances appear, not what they look like.
inline constexpr uint64_t kShapeLibrarySeed = 0x5E1F57D1ull;

const char* class_name(int cls);
void build_shape(int cls, uint64_t seed, uint64_t shape_id, Mesh& out);

}  // namespace ss::render
