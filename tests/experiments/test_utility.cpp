#include <doctest/doctest.h>

#include <cmath>

#include "ss/exp/utility.h"

using namespace ss::app;

TEST_CASE("utility: exact n-hat by log-n interpolation") {
  std::vector<CurvePoint> s = {{100, 0.4}, {1000, 0.6}, {10000, 0.8}};
  // a_ft = 0.6 at n = 100 equals scratch at 1000: U = 1000/100 - 1 = 9
  Utility u = utility_at(s, 100, 0.6);
  CHECK(u.kind == Utility::Kind::Exact);
  CHECK(u.n_hat == 1000.0);  // exact hit on a measured point: no interpolation rounding
  CHECK(u.utility == doctest::Approx(9));
  // halfway between 0.6 and 0.8 in accuracy -> halfway in log n: sqrt(1000*10000)
  u = utility_at(s, 1000, 0.7);
  CHECK(u.n_hat == doctest::Approx(std::sqrt(1000.0 * 10000.0)));
  CHECK(u.utility == doctest::Approx(std::sqrt(1e7) / 1000 - 1));
  // pretraining that hurts: a_ft(1000) = 0.5 -> n-hat = sqrt(100*1000), U < 0
  u = utility_at(s, 1000, 0.5);
  CHECK(u.utility == doctest::Approx(std::sqrt(1e5) / 1000 - 1));
  CHECK(u.utility < 0);
}

TEST_CASE("utility: out of range is a bound, never extrapolated") {
  std::vector<CurvePoint> s = {{100, 0.4}, {1000, 0.6}};
  Utility hi = utility_at(s, 100, 0.9);
  CHECK(hi.kind == Utility::Kind::AboveSweep);
  CHECK(hi.utility == doctest::Approx(9));
  CHECK(hi.str().find("> 9.00") == 0);
  Utility lo = utility_at(s, 1000, 0.1);
  CHECK(lo.kind == Utility::Kind::BelowSweep);
  CHECK(lo.utility == doctest::Approx(-0.9));
  CHECK(lo.str().find("< -0.90") == 0);
}

TEST_CASE("utility: non-monotone scratch curves use the running maximum and are flagged") {
  std::vector<CurvePoint> s = {{100, 0.5}, {1000, 0.45}, {10000, 0.7}};
  Utility u = utility_at(s, 100, 0.6);
  CHECK_FALSE(u.scratch_monotone);
  // envelope: (100, .5) (1000, .5) (10000, .7): 0.6 is halfway on the last segment
  CHECK(u.n_hat == doctest::Approx(std::sqrt(1000.0 * 10000.0)));
  // repeated n (several seeds) are averaged
  std::vector<CurvePoint> r = {{100, 0.3}, {100, 0.5}, {1000, 0.6}};
  CHECK(utility_at(r, 100, 0.4).utility == doctest::Approx(0.0));
}
