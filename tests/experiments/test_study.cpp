// The study runner: sharding, resume after kill -9, corrupt point files, and an
// end-to-end micro-study that produces a report with every section.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "ss/exp/study.h"
#include "ss/io/atomic_file.h"
#include "ss/kernels/error.h"

using namespace ss;
namespace fs = std::filesystem;

namespace {
const char* kMicro = R"(
[study]
name = "micro"
datasets = ["0000"]
models = ["resnet9"]
methods = ["scratch", "vae", "rotation", "cmc", "amdim"]
ns = [60, 120, 240]
seeds = [0]
freeze = [0, 2, 4]
freeze_n = 120
linear_ns = [120]
notes = ["micro study for the test suite"]
[data]
res = 32
count = 600
[model]
width = 0.0625
out_feats = 32
[pretrain]
epochs = 1
batch = 64
cmc_k = 64
[train]
epochs = 2
batch = 32
lr = 2e-3
warmup_epochs = 1
min_samples = 0
eval_every = 1
eval_max = 50
augment = false
[linear]
epochs = 1
)";

fs::path tmp(const std::string& tag) {
  fs::path p = fs::temp_directory_path() / ("ss_study_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string write_config(const fs::path& dir) {
  const std::string path = (dir / "micro.toml").string();
  io::write_file_atomically(path, kMicro);
  return path;
}

std::map<std::string, double> results(const fs::path& study) {
  std::map<std::string, double> out;
  for (auto& e : fs::directory_iterator(study / "points")) {
    const auto f = e.path() / "result.json";
    if (!fs::exists(f)) continue;
    auto j = nlohmann::json::parse(io::read_file(f.string()));
    double v = 0;
    if (j.contains("test_at_best_valid")) v = j["test_at_best_valid"]["class_accuracy"].get<double>();
    out[e.path().filename().string()] = v;
  }
  return out;
}
}  // namespace

TEST_CASE("shards 1/N..N/N cover every point exactly once") {
  app::Config c = app::Config::from_string(kMicro, "micro.toml");
  auto all = app::study_points(c);
  CHECK(all.size() == 1 + 4 + 5 * 3 + 4 * 2 + 5 * 1);
  std::set<std::string> ids;
  for (auto& p : all) CHECK(ids.insert(p.id).second);  // ids are unique
  for (int N : {1, 2, 3, 7}) {
    std::multiset<std::string> seen;
    for (int i = 1; i <= N; ++i)
      for (auto& p : app::shard_points(all, i, N)) seen.insert(p.id);
    CHECK(seen.size() == all.size());
    CHECK(std::set<std::string>(seen.begin(), seen.end()) == ids);
  }
  CHECK_THROWS_AS(app::shard_points(all, 3, 2), ss::Error);
}

TEST_CASE("a study with train.cuda_graph on the CPU stops before its first point") {
  app::StudyOptions o;
  o.preset_or_config = "quick";
  o.sets = {"train.cuda_graph=true"};
  o.dir = tmp("graph_cpu").string();
  o.dry_run = true;
  CHECK_THROWS_WITH_AS(app::run_study(o), doctest::Contains("train.cuda_graph needs --device cuda"),
                       ss::Error);
  CHECK(!fs::exists(fs::path(o.dir) / "points"));
}

TEST_CASE("micro-study end to end, resumed after kill -9, with a corrupt point file") {
  const fs::path dir = tmp("e2e");
  const std::string cfg = write_config(dir);
  // A clean, uninterrupted run (in process), with the report.
  app::StudyOptions clean;
  clean.preset_or_config = cfg;
  clean.dir = (dir / "clean").string();
  app::run_study(clean);
  const auto ref = results(dir / "clean");
  CHECK(ref.size() == 33);
  const std::string html = io::read_file((dir / "clean/report/report.html").string());
  for (const char* id : {"utility", "model-size", "data-complexity", "frozen-layers", "linear-eval", "dense"})
    CHECK_MESSAGE(html.find(std::string("id=\"") + id + "\"") != std::string::npos, "section ", id);

  // The same study killed (SIGKILL) part-way, then resumed. The kill comes as soon as the
  // first point file exists, not after a fixed time: a fixed 6 s once fell before the first
  // point on a 16-core GPU host running the suite 12-wide, and the test then checked nothing.
  const std::string killed = (dir / "killed").string();
  const std::string cmd = std::string("(") + SS_SELFSTUDY_BIN + " study -p " + cfg + " --dir " + killed +
                          " --no-report >/dev/null 2>&1 & pid=$!; for i in $(seq 3000); do"
                          " ls " + killed + "/points/*/result.json >/dev/null 2>&1 && break; sleep 0.1; done;"
                          " kill -KILL $pid; wait $pid)";
  const int rc = std::system(cmd.c_str());
  CHECK(rc != 0);  // it was killed, not finished
  const size_t partial = results(killed).size();
  MESSAGE("killed after ", partial, " of ", ref.size(), " points");
  CHECK(partial >= 1);
  CHECK(partial < ref.size());
  // A point file cut short (as if the disk filled) is detected and rerun.
  for (auto& e : fs::directory_iterator(fs::path(killed) / "points"))
    if (fs::exists(e.path() / "result.json")) {
      std::ofstream(e.path() / "result.json") << "{\"point\": {\"id\"";
      break;
    }
  app::StudyOptions resume = clean;
  resume.dir = killed;
  resume.no_report = true;
  app::run_study(resume);
  const auto got = results(killed);
  REQUIRE(got.size() == ref.size());
  for (auto& [id, v] : ref) {
    CAPTURE(id);
    REQUIRE(got.count(id));
    CHECK(got.at(id) == doctest::Approx(v).epsilon(1e-6));
  }
  fs::remove_all(dir);
}
