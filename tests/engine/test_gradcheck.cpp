// Every row of the op table: analytic gradients (our backward rules) against central
// differences, all in double precision on the CPU.
#include <doctest/doctest.h>

#include <cmath>

#include "op_table.h"
#include "ss/autograd.h"
#include "ss/ops.h"

using namespace ss;

namespace {
// L = sum(f(x) * R) turns any output into a scalar with a non-trivial upstream gradient.
double objective(const test::OpCase& c, const std::vector<Tensor>& x, const Tensor& R) {
  NoGradGuard ng;
  return sum(mul(c.fn(x), R)).item();
}
}  // namespace

TEST_CASE("gradient check (double, central differences) for every op in the table") {
  for (const auto& c : test::op_table()) {
    SUBCASE(c.name.c_str()) {
      auto x = test::make_inputs(c, DType::F64, Device::cpu(), 1234);
      Tensor y = c.fn(x);
      Tensor R = Tensor::normal(y.shape(), 0, 1, 99, 0, DType::F64);
      REQUIRE(y.requires_grad());
      sum(mul(y, R)).backward();
      const double eps = 1e-6;
      for (size_t k = 0; k < x.size(); ++k) {
        if (!c.inputs[k].grad) continue;
        Tensor g = x[k].grad();
        REQUIRE_MESSAGE(g.defined(), c.name, ": no gradient for input ", k);
        std::vector<double> ga = g.to_vector<double>();
        double* p = x[k].data<double>();
        double worst = 0;
        for (int64_t i = 0; i < x[k].numel(); ++i) {
          const double orig = p[i];
          p[i] = orig + eps;
          const double fp = objective(c, x, R);
          p[i] = orig - eps;
          const double fm = objective(c, x, R);
          p[i] = orig;
          const double num = (fp - fm) / (2 * eps);
          const double err = std::abs(num - ga[i]) / (1e-6 + std::abs(num));
          worst = std::max(worst, std::min(err, std::abs(num - ga[i]) / 1e-5));
          CHECK_MESSAGE(std::abs(num - ga[i]) <= 1e-5 + 1e-5 * std::abs(num),
                        c.name, " input ", k, " element ", i, ": analytic ", ga[i],
                        " numeric ", num);
        }
      }
    }
  }
}
