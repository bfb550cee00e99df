// Shared by bench_train and bench_pretrain: the PyTorch baseline (a script printing JSON
// lines, run once per invocation) and the median-of-K step timer.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ss/kernels/runtime.h"

namespace ss::bench {

// Runs `cmd` (stderr discarded) and indexes its JSON lines by the string field `key`.
// Lines that are not JSON are ignored; a failed start gives an empty map.
inline std::map<std::string, nlohmann::json> json_lines_by(const std::string& cmd,
                                                           const std::string& key) {
  std::map<std::string, nlohmann::json> out;
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return out;
  char line[4096];
  while (std::fgets(line, sizeof line, p)) {
    try {
      nlohmann::json j = nlohmann::json::parse(line);
      out[j[key].get<std::string>()] = j;
    } catch (...) {
    }
  }
  pclose(p);
  return out;
}

// Median wall time of `iters` calls of step() after `warmup` untimed ones; on CUDA the
// device is synchronised around each call so the time covers the whole step.
template <class Step>
double median_seconds(int warmup, int iters, bool cuda, Step&& step) {
  std::vector<double> times;
  for (int i = 0; i < warmup + iters; ++i) {
    if (cuda) cuda::synchronize();
    const auto t0 = std::chrono::steady_clock::now();
    step(i);
    if (cuda) cuda::synchronize();
    if (i >= warmup)
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Adds torch_img_per_s and vs_baseline (ours / torch, null without a baseline) to `j`.
inline void add_baseline(nlohmann::json& j, const std::map<std::string, nlohmann::json>& torch,
                         const std::string& key, double img_per_s) {
  auto it = torch.find(key);
  // A skipped or failed baseline line carries no img_per_s: no ratio, not a crash.
  if (it == torch.end() || !it->second.contains("img_per_s") ||
      !it->second["img_per_s"].is_number()) {
    j["vs_baseline"] = nullptr;
    return;
  }
  j["torch_img_per_s"] = it->second["img_per_s"];
  j["vs_baseline"] = img_per_s / it->second["img_per_s"].get<double>();
}

}  // namespace ss::bench
