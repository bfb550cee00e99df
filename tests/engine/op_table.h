// THE op table: every differentiable op with its input shapes. The gradient check (CPU,
// double, central differences) and the CPU<->CUDA parity test both iterate over it, so
// adding an op means adding one row here.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "ss/tensor.h"

namespace ss::test {

enum class Init {
  Normal,        // N(0, 1)
  AwayFromZero,  // |x| in [0.1, 1.1], random sign (kinks of relu/l1 at 0)
  Distinct,      // a shuffled, well-separated grid (no ties for max-pool)
  Positive,      // U(0.5, 1.5) (variances)
  Labels,        // i64 in [0, label_max)
  LabelsIgnore,  // i64 in [0, label_max) with about 1/4 set to -100
  Mask,          // 0/1 floats, not differentiated
  Indices,       // i64 row indices in [0, label_max)
};

struct InputSpec {
  Shape shape;
  Init init = Init::Normal;
  bool grad = true;  // differentiated (floats only)
  int label_max = 0;
};

struct OpCase {
  std::string name;
  std::vector<InputSpec> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> fn;
};

const std::vector<OpCase>& op_table();

// Builds the inputs of a case deterministically (seeded), in dtype `dt` on `dev`.
std::vector<Tensor> make_inputs(const OpCase& c, DType dt, Device dev, uint64_t seed);

// Normalised mean squared error sum((ref-got)^2) / sum(ref^2), in double (any dtype/device).
double nmse(const Tensor& ref, const Tensor& got);

}  // namespace ss::test
