// Class registry: names and the dispatch from (class, shape id) to a family builder.
#include "ss/render/shapes.h"

#include "shape_families.h"
#include "ss/kernels/error.h"

namespace ss::render {

namespace {
constexpr const char* kNames[kNumClasses] = {"airplane", "car",  "boat", "chair",  "table",
                                             "sofa",     "lamp", "mug",  "bottle", "guitar"};
using Builder = void (*)(Rng&, Mesh&);
constexpr Builder kBuilders[kNumClasses] = {
    families::airplane, families::car,  families::boat, families::chair,  families::table,
    families::sofa,     families::lamp, families::mug,  families::bottle, families::guitar};
}  // namespace

const char* class_name(int cls) {
  SS_CHECK(cls >= 0 && cls < kNumClasses, "class index ", cls, " out of range [0, ", kNumClasses, ")");
  return kNames[cls];
}

void build_shape(int cls, uint64_t seed, uint64_t shape_id, Mesh& out) {
  SS_CHECK(cls >= 0 && cls < kNumClasses, "class index ", cls, " out of range [0, ", kNumClasses, ")");
  out.clear();
  Rng rng(seed, Domain::shape, uint64_t(cls) * (1ull << 32) + shape_id);
  kBuilders[cls](rng, out);
  normalize_mesh(out, 1.0f);
}

}  // namespace ss::render
