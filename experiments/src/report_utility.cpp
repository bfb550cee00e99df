// Utility cells (U(n) on the seed mean, with the lowest / highest seed) and the plot series
// and trend sentences built from them.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "report_internal.h"

namespace ss::app::report_detail {

namespace {
double clean(double v) { return std::fabs(v) < 1e-9 ? 0.0 : v; }
}  // namespace

// "%.2f" without a "-0.00" for values that only round to zero.
std::string f2(double v) {
  std::string s = f("%.2f", v);
  return s == "-0.00" ? "0.00" : s;
}
// As Utility::str(): "0.85", "> 3.20 (beyond sweep)", "< -0.90 (below sweep)".
std::string ustr(const Utility& u) {
  switch (u.kind) {
    case Utility::Kind::AboveSweep: return "> " + f2(u.utility) + " (beyond sweep)";
    case Utility::Kind::BelowSweep: return "< " + f2(u.utility) + " (below sweep)";
    default: return f2(u.utility);
  }
}
std::string compact(const Utility& u) {
  switch (u.kind) {
    case Utility::Kind::AboveSweep: return ">" + f2(u.utility);
    case Utility::Kind::BelowSweep: return "<" + f2(u.utility);
    default: return f2(u.utility);
  }
}
std::string ucell_str(const UCell& c) {
  if (!c.ok) return "—";
  std::string s = ustr(c.u);
  if (c.seeds > 1) s += " [" + compact(c.lo) + ", " + compact(c.hi) + "]";
  if (!c.u.scratch_monotone) s += " †";
  return s;
}
// The interval the true utility lies in: exact [u, u]; beyond the sweep [u, inf); below (-1, u].
std::pair<double, double> interval(const Utility& u) {
  switch (u.kind) {
    case Utility::Kind::AboveSweep: return {u.utility, kInf};
    case Utility::Kind::BelowSweep: return {-1.0, u.utility};
    default: return {u.utility, u.utility};
  }
}

// +1: pretraining helps (U > 0), -1: it hurts (U < 0), 0: no difference, 2: unknown (a bound
// that does not decide the sign). Bounds are strict: "beyond sweep" means U > value.
int utility_sign(const Utility& u) {
  constexpr double tol = 1e-9;  // floating-point noise of the log-n interpolation
  switch (u.kind) {
    case Utility::Kind::AboveSweep: return u.utility >= -tol ? 1 : 2;
    case Utility::Kind::BelowSweep: return u.utility <= tol ? -1 : 2;
    default: return u.utility > tol ? 1 : u.utility < -tol ? -1 : 0;
  }
}

UCell util_cell(const std::vector<CurvePoint>& scratch, double n, const Agg* a) {
  UCell c;
  if (!a || a->seeds == 0 || scratch.empty()) return c;
  c.ok = true;
  c.seeds = a->seeds;
  c.u = utility_at(scratch, n, a->test);
  c.lo = utility_at(scratch, n, a->test_min);
  c.hi = utility_at(scratch, n, a->test_max);
  return c;
}

std::vector<CurvePoint> scratch_curve(const Index& I, const std::string& task, const std::string& model,
                                      const std::string& ds, int freeze, bool linear) {
  std::vector<CurvePoint> c;
  for (auto& [k, a] : I.aggs)
    if (std::get<0>(k) == task && std::get<1>(k) == model && std::get<2>(k) == ds && std::get<3>(k) == "scratch" &&
        std::get<4>(k) == freeze && std::get<5>(k) == linear)
      c.push_back({std::get<6>(k), a.test});
  return c;
}

// Utility series (exact values joined by a line; bounds as triangles) for one method.
void add_utility_series(Panel& P, const std::string& title, const std::string& color, int dash,
                        const std::vector<std::pair<double, UCell>>& cells, bool* any_above, bool* any_below) {
  Series ex, ab, be;
  ex.title = title;
  ex.color = ab.color = be.color = color;
  ex.dash = dash;
  ab.lines = be.lines = false;
  ab.point_type = 9;
  be.point_type = 11;
  for (auto& [x, c] : cells) {
    if (!c.ok) continue;
    if (c.u.kind == Utility::Kind::Exact) ex.xy.push_back({x, clean(c.u.utility)});
    else if (c.u.kind == Utility::Kind::AboveSweep) ab.xy.push_back({x, clean(c.u.utility)});
    else be.xy.push_back({x, clean(c.u.utility)});
  }
  if (ex.xy.empty()) {  // keep the legend entry for the colour
    ex.lines = false;
  }
  *any_above |= !ab.xy.empty();
  *any_below |= !be.xy.empty();
  P.series.push_back(ex);
  if (!ab.xy.empty()) P.series.push_back(ab);
  if (!be.xy.empty()) P.series.push_back(be);
}
void add_bound_legend(Panel& P, bool above, bool below) {
  auto marker = [&](const char* title, int point_type) {  // a legend entry, no data
    Series s;
    s.title = title;
    s.color = "#444444";
    s.point_type = point_type;
    s.lines = false;
    P.series.push_back(s);
  };
  if (above) marker("beyond sweep (U > marker)", 9);
  if (below) marker("below sweep (U < marker)", 11);
}
Series acc_series(const std::string& title, const std::string& color, int dash, int pt,
                  const std::vector<std::pair<double, const Agg*>>& pts) {
  Series s;
  s.title = title;
  s.color = color;
  s.dash = dash;
  s.point_type = pt;
  bool spread = false;
  for (auto& [x, a] : pts)
    if (a && a->seeds > 1) spread = true;
  for (auto& [x, a] : pts) {
    if (!a || a->seeds == 0) continue;
    s.xy.push_back({x, a->test});
    if (spread) s.y_err.push_back(a->test_hr);
  }
  return s;
}

Trend utility_trend(const std::string& method, const std::vector<std::pair<double, UCell>>& cells) {
  Trend t;
  t.method = method;
  const std::pair<double, UCell>*first = nullptr, *last = nullptr;
  for (auto& c : cells)
    if (c.second.ok) {
      if (!first) first = &c;
      last = &c;
    }
  if (!first || first == last) {
    t.dir = 3;
    return t;
  }
  auto [lo1, hi1] = interval(first->second.u);
  auto [lo2, hi2] = interval(last->second.u);
  if (hi2 < lo1) t.dir = -1;
  else if (lo2 > hi1) t.dir = 1;
  else if (lo1 == hi1 && lo2 == hi2) t.dir = 0;
  else t.dir = 2;
  t.text = method + " " + ustr(first->second.u) + " at n=" + fn(first->first) + " → " + ustr(last->second.u) +
           " at n=" + fn(last->first);
  return t;
}

}  // namespace ss::app::report_detail
