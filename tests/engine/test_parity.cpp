// CPU <-> CUDA parity over the op table: same seeded inputs, f32 on both backends, outputs
// and input gradients compared by normalised mean squared error (as ggml's
// test-backend-ops). Without a GPU every row is skipped with one message.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "op_table.h"
#include "ss/kernels/runtime.h"
#include "ss/ops.h"

using namespace ss;

namespace {
double nmse(const std::vector<float>& ref, const std::vector<float>& got) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += (double(ref[i]) - got[i]) * (double(ref[i]) - got[i]);
    den += double(ref[i]) * ref[i];
  }
  return den > 0 ? num / den : num;
}
}  // namespace

TEST_CASE("CPU/CUDA parity for every op in the table") {
  if (!cuda_available()) {
    MESSAGE("CUDA parity skipped: ", cuda::unavailable_reason(), " (",
            test::op_table().size(), " ops in the table)");
    return;
  }
  const double tol = 1e-7;
  for (const auto& c : test::op_table()) {
    SUBCASE(c.name.c_str()) {
      auto xc = test::make_inputs(c, DType::F32, Device::cpu(), 4321);
      auto xg = test::make_inputs(c, DType::F32, Device::cuda(), 4321);
      Tensor yc = c.fn(xc), yg = c.fn(xg);
      REQUIRE(yc.shape() == yg.shape());
      const double e_out = nmse(yc.to_vector<float>(), yg.to_vector<float>());
      CHECK_MESSAGE(e_out < tol, c.name, ": output NMSE ", e_out);
      Tensor R = Tensor::normal(yc.shape(), 0, 1, 7, 0);
      sum(mul(yc, R)).backward();
      sum(mul(yg, R.to(Device::cuda()))).backward();
      for (size_t k = 0; k < xc.size(); ++k) {
        if (!c.inputs[k].grad) continue;
        REQUIRE(xg[k].grad().defined());
        const double e = nmse(xc[k].grad().to_vector<float>(), xg[k].grad().to_vector<float>());
        CHECK_MESSAGE(e < tol, c.name, ": grad of input ", k, " NMSE ", e);
      }
    }
  }
}
