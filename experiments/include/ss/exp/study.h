// The study: a sweep of independent points (render, pretrain, train) with deterministic
// ids. Each point writes <dir>/points/<id>/result.json when (and only when) it finished, so
// a killed sweep resumes by skipping finished points; unfinished training points continue
// from their own checkpoints. `--shard i/N` runs every N-th point of each phase.
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ss/exp/config.h"

namespace ss::app {

struct StudyPoint {
  std::string id, kind;  // kind: render | pretrain | train
  std::string dataset;   // TCVL bits
  std::string task = "classify", model = "resnet9", method = "scratch";
  int64_t n = 0;
  int freeze = 0;
  bool linear = false;
  int64_t seed = 0;
  nlohmann::json to_json() const;
};

struct StudyOptions {
  std::string preset_or_config = "quick";  // name in experiments/configs/study_<name>.toml or a path
  std::vector<std::string> sets;
  std::string dir;                         // default: studies/<name>
  std::string shard;                       // "i/N"
  std::string device = "cpu";
  bool dry_run = false;
  bool no_report = false;
};

Config load_study_config(const std::string& preset_or_path, const std::vector<std::string>& sets);
std::vector<StudyPoint> study_points(const Config& c);
// Points of shard i (1-based) of N: every N-th point within each phase, so each phase
// splits evenly. Together the shards cover every point exactly once.
std::vector<StudyPoint> shard_points(const std::vector<StudyPoint>& all, int i, int N);
// Is <dir>/points/<id>/result.json present and parseable?
bool point_done(const std::string& dir, const std::string& id);

void run_study(const StudyOptions& o);
void add_study_command(CLI::App& app);

}  // namespace ss::app
