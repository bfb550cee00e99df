// Shared helpers for the model tests: fixture loading and an element-wise comparison that
// reports the tensor name, violations, max errors and how close to the limit it came.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "ss/io/safetensors.h"
#include "ss/tensor.h"
#include "ss/platform.h"

namespace ss::models::test {

// |got - expected| <= rtol * |expected| + atol + atol_of_max * max|expected|
struct Tol {
  double rtol, atol, atol_of_max;
};

inline std::string fixture_path(const std::string& file) {
  return source_dir() + "/tests/fixtures/models/" + file;
}

inline std::vector<Device> test_devices() {
  std::vector<Device> d{Device::cpu()};
  if (cuda_available()) d.push_back(Device::cuda());
  return d;
}

// Returns max(err / allowed) over the tensor (<= 1 passes) and CHECKs it. With
// SS_TEST_VERBOSE=1 in the environment every comparison is printed, not only failures.
inline double expect_close(const std::string& what, const Tensor& expected, const Tensor& got,
                           Tol tol) {
  REQUIRE_MESSAGE(got.defined(), what << ": result is undefined (no gradient recorded?)");
  REQUIRE_MESSAGE(got.shape() == expected.shape(),
                  what << ": shape " << got.desc() << " vs expected " << expected.desc());
  const std::vector<double> e = expected.to(DType::F64).to_vector<double>();
  const std::vector<double> g = got.to(Device::cpu()).to(DType::F64).to_vector<double>();
  double scale = 0;
  for (double v : e) scale = std::max(scale, std::fabs(v));
  const double atol = tol.atol + tol.atol_of_max * scale;
  double max_abs = 0, max_ratio = 0;
  size_t bad = 0, worst = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    const double d = std::fabs(g[i] - e[i]);
    const double ratio = d / (tol.rtol * std::fabs(e[i]) + atol);
    if (!(ratio <= 1)) ++bad;  // NaN counts as bad
    if (!(ratio <= max_ratio)) {
      max_ratio = ratio;
      worst = i;
    }
    max_abs = std::max(max_abs, d);
  }
  std::ostringstream msg;
  msg << what << " " << got.desc() << ": " << bad << "/" << e.size() << " outside tol (rtol "
      << tol.rtol << ", atol " << atol << ", max|expected| " << scale << "), max abs err "
      << max_abs << ", max err/allowed " << max_ratio;
  if (!e.empty()) msg << "; worst [" << worst << "] expected " << e[worst] << " got " << g[worst];
  CHECK_MESSAGE(bad == 0, msg.str());
  if (std::getenv("SS_TEST_VERBOSE")) MESSAGE(msg.str());
  return max_ratio;
}

}  // namespace ss::models::test
