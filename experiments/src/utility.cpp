#include "ss/exp/utility.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "ss/kernels/error.h"

namespace ss::app {

std::string Utility::str() const {
  char buf[64];
  switch (kind) {
    case Kind::Exact: std::snprintf(buf, sizeof buf, "%.2f", utility); break;
    case Kind::AboveSweep: std::snprintf(buf, sizeof buf, "> %.2f (beyond sweep)", utility); break;
    case Kind::BelowSweep: std::snprintf(buf, sizeof buf, "< %.2f (below sweep)", utility); break;
  }
  return buf;
}

Utility utility_at(const std::vector<CurvePoint>& scratch_in, double n, double acc) {
  SS_CHECK(!scratch_in.empty(), "utility: empty scratch curve");
  SS_CHECK(n > 0, "utility: n must be positive");
  std::map<double, std::pair<double, int>> by_n;
  for (auto& p : scratch_in) {
    SS_CHECK(p.n > 0, "utility: scratch point with n = ", p.n);
    by_n[p.n].first += p.acc;
    by_n[p.n].second += 1;
  }
  std::vector<CurvePoint> c;
  for (auto& [k, v] : by_n) c.push_back({k, v.first / v.second});
  Utility u;
  for (size_t i = 1; i < c.size(); ++i)
    if (c[i].acc < c[i - 1].acc) {
      u.scratch_monotone = false;
      c[i].acc = c[i - 1].acc;  // running maximum
    }
  if (acc > c.back().acc) {
    u.kind = Utility::Kind::AboveSweep;
    u.n_hat = c.back().n;
    u.utility = c.back().n / n - 1;
    return u;
  }
  if (acc < c.front().acc) {
    u.kind = Utility::Kind::BelowSweep;
    u.n_hat = c.front().n;
    u.utility = c.front().n / n - 1;
    return u;
  }
  // First segment whose accuracy range contains acc (flat segments: the smallest n).
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i].acc == acc) {
      u.n_hat = c[i].n;
      break;
    }
    if (i + 1 < c.size() && c[i].acc < acc && acc <= c[i + 1].acc) {
      if (acc == c[i + 1].acc) {  // exact hit: no rounding through exp/log
        u.n_hat = c[i + 1].n;
        break;
      }
      const double t = (acc - c[i].acc) / (c[i + 1].acc - c[i].acc);
      u.n_hat = std::exp(std::log(c[i].n) + t * (std::log(c[i + 1].n) - std::log(c[i].n)));
      break;
    }
  }
  u.utility = u.n_hat / n - 1;
  return u;
}

}  // namespace ss::app
