// Pretraining utility (REFERENCE §1): with the scratch curve a(n) measured at a few n, the
// finetuned accuracy a_ft(n) is matched to n̂ with a(n̂) = a_ft(n) by interpolating the
// scratch curve linearly in log n, and U(n) = n̂/n − 1. Values outside the measured range
// are reported as bounds, never extrapolated.
#pragma once
#include <string>
#include <vector>

namespace ss::app {

struct CurvePoint {
  double n, acc;
};

struct Utility {
  enum class Kind { Exact, AboveSweep, BelowSweep };
  Kind kind = Kind::Exact;
  double n_hat = 0;    // exact: the interpolated n̂; bounds: the sweep's max / min n
  double utility = 0;  // n̂/n − 1 (for bounds: the bound's value, "> u" or "< u")
  bool scratch_monotone = true;  // false: the scratch curve dips; a monotone envelope was used
  std::string str() const;       // "0.85", "> 3.2 (beyond sweep)", "< -0.9 (below sweep)"
};

// `scratch` sorted or not; duplicates in n are averaged. Non-monotone curves are replaced
// by their running maximum (the best accuracy reachable with at most n labels) and flagged.
Utility utility_at(const std::vector<CurvePoint>& scratch, double n, double acc_finetuned);

}  // namespace ss::app
