// Helpers for the pretext tests: fixture loading, tensor comparison, central-difference
// gradient checks in double, a small rendered dataset shared by the training tests.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "ss/autograd.h"
#include "ss/io/safetensors.h"
#include "ss/ops.h"
#include "ss/platform.h"

namespace ss::pretext::testing {

inline const io::TensorMap& fixtures() {
  static io::TensorMap t = io::load_safetensors(source_dir() + "/tests/fixtures/pretext/pretext.safetensors");
  return t;
}
inline Tensor fx(const std::string& name) {
  auto it = fixtures().find(name);
  REQUIRE_MESSAGE(it != fixtures().end(), "fixture tensor '", name, "' missing");
  return it->second;
}
inline Tensor fx_leaf(const std::string& name) {
  Tensor t = fx(name).clone();
  t.set_requires_grad(true);
  return t;
}

// max |a - b| <= atol + rtol * max|b|, with a message naming the quantity.
inline void check_close(const Tensor& a, const Tensor& b, const std::string& what, double atol = 1e-5,
                        double rtol = 1e-4) {
  REQUIRE_MESSAGE(a.defined(), what, ": undefined");
  REQUIRE_MESSAGE(a.shape() == b.shape(), what, ": shape ", shape_str(a.shape()), " vs ", shape_str(b.shape()));
  std::vector<double> va = a.detach().to(DType::F64).to_vector<double>();
  std::vector<double> vb = b.detach().to(DType::F64).to_vector<double>();
  double worst = 0, scale = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    worst = std::max(worst, std::abs(va[i] - vb[i]));
    scale = std::max(scale, std::abs(vb[i]));
  }
  CHECK_MESSAGE(worst <= atol + rtol * scale, what, ": max abs error ", worst, " (scale ", scale, ")");
}

// Analytic gradients of sum(fn(x) * R) against central differences, all in double.
inline void gradcheck(const std::string& name, const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                      std::vector<Tensor> x, double tol = 1e-6) {
  for (auto& t : x) t.set_requires_grad(true);
  Tensor y = fn(x);
  Tensor R = y.dim() == 0 ? Tensor::full({}, 1.0, DType::F64) : Tensor::normal(y.shape(), 0, 1, 77, 0, DType::F64);
  sum(mul(y, R)).backward();
  auto objective = [&] {
    NoGradGuard ng;
    return sum(mul(fn(x), R)).item();
  };
  const double eps = 1e-6;
  for (size_t k = 0; k < x.size(); ++k) {
    Tensor g = x[k].grad();
    REQUIRE_MESSAGE(g.defined(), name, ": no gradient for input ", k);
    std::vector<double> ga = g.to_vector<double>();
    double* p = x[k].data<double>();
    double worst = 0;
    for (int64_t i = 0; i < x[k].numel(); ++i) {
      const double orig = p[i];
      p[i] = orig + eps;
      const double fp = objective();
      p[i] = orig - eps;
      const double fm = objective();
      p[i] = orig;
      const double num = (fp - fm) / (2 * eps);
      worst = std::max(worst, std::abs(num - ga[size_t(i)]) / (1.0 + std::abs(num)));
    }
    CHECK_MESSAGE(worst <= tol, name, " input ", k, ": worst |analytic - numeric| / (1 + |numeric|) = ", worst);
  }
}

inline Tensor rnd64(const Shape& s, uint64_t seed, double scale = 1.0) {
  return Tensor::normal(s, 0.0, scale, seed, 0, DType::F64);
}

}  // namespace ss::pretext::testing
