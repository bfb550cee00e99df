// train.amp on the CPU: fp16 autocast + dynamic loss scaling in the trainer and the
// pretraining driver, the scaler's state in checkpoints (and old checkpoints without it),
// and the NaN stop: skipped overflow steps are not an error, a non-finite loss still is.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "ss/exp/config.h"
#include "ss/exp/pretrain.h"
#include "ss/exp/trainer.h"
#include "ss/io/safetensors.h"
#include "ss/kernels/runtime.h"
#include "ss/render/dataset.h"

using namespace ss;
namespace fs = std::filesystem;

namespace {
struct AmpData {
  fs::path dir;
  std::string file;
  AmpData() {
    dir = fs::temp_directory_path() / ("ss_amp_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    render::DatasetOptions o;
    o.bits = "0000", o.count = 1200, o.res = 32, o.seed = 4, o.out_dir = dir.string();
    o.contact_sheet = false;
    file = render::render_dataset(o).path;
  }
  ~AmpData() { fs::remove_all(dir); }
};
AmpData& amp_data() {
  static AmpData d;
  return d;
}
constexpr int64_t kN = 960, kBatch = 64, kStepsPerEpoch = kN / kBatch;
app::TrainOptions amp_options(const std::string& name) {
  app::TrainOptions o;
  o.data = amp_data().file;
  o.n = kN;
  o.model.arch = "resnet9";
  o.model.width = 0.125;
  o.model.out_feats = 64;
  o.epochs = 2, o.batch = int(kBatch), o.warmup_epochs = 1, o.min_samples = 0, o.eval_max = 100;
  o.lr = 2e-3;
  o.augment = false;
  o.seed = 2;
  o.quiet = true;
  o.amp = true;
  o.out = (amp_data().dir / name).string();
  return o;
}
}  // namespace

TEST_CASE("experiments: train.amp and train.amp_init_scale are read by train and pretrain (default off)") {
  const std::string base = "[data]\npath = \"d.h5\"\n[pretrain]\nmethod = \"rotation\"\n";
  CHECK(!app::TrainOptions::from_config(app::Config::from_string(base)).amp);
  CHECK(!app::PretrainOptions::from_config(app::Config::from_string(base)).amp);
  const std::string on = base + "[train]\namp = true\namp_init_scale = 1024\n";
  auto t = app::TrainOptions::from_config(app::Config::from_string(on));
  auto p = app::PretrainOptions::from_config(app::Config::from_string(on));
  CHECK(t.amp);
  CHECK(p.amp);
  CHECK(t.amp_init_scale == 1024.0);
  CHECK(p.amp_init_scale == 1024.0);
}

TEST_CASE("experiments: train.amp=true trains a tiny ResNet9 on CPU and logs the loss scale") {
  auto o = amp_options("learn");
  o.epochs = 3;
  nlohmann::json r = app::train(o);
  const double acc = r["best_valid"]["class_accuracy"].get<double>();
  MESSAGE("amp tiny ResNet9 valid class accuracy ", acc, " (chance 0.1)");
  CHECK(r["amp"].get<bool>());
  CHECK(acc > 0.25);
  REQUIRE(r["curve"].size() == 3);
  CHECK(r["curve"][2]["train_loss"].get<double>() < r["curve"][0]["train_loss"].get<double>());
  for (auto& e : r["curve"]) {
    const double s = e["loss_scale"].get<double>();
    CHECK(s > 0);
    CHECK(s <= 65536.0);  // 3 x 15 steps: far from the 2000 steps that would grow it
    CHECK(std::exp2(std::round(std::log2(s))) == s);
    CHECK(e["skipped_steps"].get<int64_t>() < kStepsPerEpoch);
  }
}

TEST_CASE("experiments: under amp an overflow step is skipped, not a stop, but a non-finite loss still stops") {
  // A scale of 2^100 overflows fp16 gradients at every step of the first epoch: each step
  // is skipped and halves the scale, the loss stays finite, and the run goes on.
  auto o = amp_options("overflow");
  o.epochs = 1;
  o.amp_init_scale = std::exp2(100.0);
  nlohmann::json r = app::train(o);
  CHECK(r["curve"][0]["skipped_steps"].get<int64_t>() == kStepsPerEpoch);
  CHECK(r["curve"][0]["loss_scale"].get<double>() == std::exp2(100.0 - double(kStepsPerEpoch)));

  auto bad = amp_options("nan");
  bad.lr = 1e30;  // the first applied step makes the weights huge: the next loss is not finite
  bad.warmup_epochs = 0;
  CHECK_THROWS_WITH_AS(app::train(bad), doctest::Contains("loss became"), ss::Error);
}

TEST_CASE("experiments: amp resume restores the loss scaler and checkpoints without its entries still load") {
  // Every step overflows (see above), so the scale after epoch 2 is 2^(90 - 2 * steps) only
  // if the resumed run continues from the saved scale instead of a fresh one.
  auto full = amp_options("full");
  full.amp_init_scale = std::exp2(90.0);
  nlohmann::json a = app::train(full);
  auto part = amp_options("part");
  part.amp_init_scale = full.amp_init_scale;
  part.epochs = 1;
  app::train(part);
  part.epochs = 2;
  part.resume = true;
  nlohmann::json b = app::train(part);
  REQUIRE(b["curve"].size() == 2);
  CHECK(a["curve"][1]["loss_scale"].get<double>() == std::exp2(90.0 - 2.0 * double(kStepsPerEpoch)));
  CHECK(b["curve"][1]["loss_scale"].get<double>() == a["curve"][1]["loss_scale"].get<double>());
  CHECK(b["curve"][1]["skipped_steps"].get<int64_t>() == kStepsPerEpoch);
  CHECK(b["curve"][1]["train_loss"].get<double>() ==
        doctest::Approx(a["curve"][1]["train_loss"].get<double>()).epsilon(1e-6));

  // A checkpoint from before loss scaling (no scaler.*, no optim.step) resumes with amp on
  // and a fresh scaler at amp_init_scale.
  auto old = amp_options("old");
  old.amp = false;
  old.epochs = 1;
  app::train(old);
  const std::string ckpt = old.out + "/checkpoint.safetensors";
  io::Metadata meta;
  io::TensorMap t = io::load_safetensors(ckpt, &meta);
  REQUIRE(t.count("optim.step"));
  CHECK(t.at("optim.step").to_vector<int64_t>()[0] == kStepsPerEpoch);
  t.erase("optim.step");
  for (auto it = t.begin(); it != t.end();) it = it->first.rfind("scaler.", 0) == 0 ? t.erase(it) : std::next(it);
  io::save_safetensors(ckpt, t, meta);
  old.amp = true;
  old.amp_init_scale = 4096;
  old.epochs = 2;
  old.resume = true;
  nlohmann::json c = app::train(old);
  REQUIRE(c["curve"].size() == 2);
  CHECK(c["curve"][1]["loss_scale"].get<double>() <= 4096.0);
  CHECK(c["curve"][1]["skipped_steps"].get<int64_t>() < kStepsPerEpoch);
}

TEST_CASE("experiments: pretraining with train.amp=true runs and logs the loss scale") {
  app::PretrainOptions o;
  o.data = amp_data().file;
  o.method.method = "rotation";
  o.method.model.width = 0.125;
  o.method.model.out_feats = 64;
  o.epochs = 1, o.batch = 32, o.max_images = 128, o.warmup_epochs = 1;
  o.amp = true;
  o.out = (amp_data().dir / "pretrain").string();
  o.quiet = true;
  nlohmann::json curve = app::pretrain(o);
  REQUIRE(curve["epochs"].size() == 1);
  const auto& e = curve["epochs"][0];
  CHECK(std::isfinite(e["loss"].get<double>()));
  CHECK(e["loss_scale"].get<double>() > 0);
  CHECK(e["skipped_steps"].get<int64_t>() < e["steps"].get<int64_t>());
  CHECK(curve["amp"].get<bool>());
  CHECK(fs::exists(o.out + "/backbone.safetensors"));
}

TEST_CASE("experiments: train.cuda_graph is read and needs device cuda") {
  const std::string base = "[data]\npath = \"d.h5\"\n";
  CHECK(!app::TrainOptions::from_config(app::Config::from_string(base)).cuda_graph);
  CHECK(app::TrainOptions::from_config(
            app::Config::from_string("device = \"cuda\"\n" + base + "[train]\ncuda_graph = true\n"))
            .cuda_graph);
  CHECK_THROWS_WITH_AS(
      app::TrainOptions::from_config(app::Config::from_string(base + "[train]\ncuda_graph = true\n")),
      doctest::Contains("train.cuda_graph needs device cuda"), ss::Error);
}

// A replayed step runs the eager step's kernels in the same order on the same values, so a
// run with train.cuda_graph must log the same losses, loss scales and skipped steps, and
// reach the same accuracy, as the eager run; the schedule is evaluated on the device.
TEST_CASE("experiments: train.cuda_graph on CUDA gives the eager run's results (amp + NHWC)") {
  if (!cuda_available()) {
    MESSAGE("train.cuda_graph run skipped: ", cuda::unavailable_reason());
    return;
  }
  for (const bool overflow : {false, true}) {
    CAPTURE(overflow);
    auto run = [&](bool graph) {
      auto o = amp_options(std::string(graph ? "graph" : "eager") + (overflow ? "_ovf" : ""));
      o.device = "cuda";
      o.channels_last = true;
      o.cuda_graph = graph;
      if (overflow) o.amp_init_scale = std::exp2(100.0), o.epochs = 1;
      return app::train(o);
    };
    const nlohmann::json e = run(false), g = run(true);
    REQUIRE(g["curve"].size() == e["curve"].size());
    for (size_t i = 0; i < e["curve"].size(); ++i) {
      CAPTURE(i);
      for (const char* k : {"train_loss", "lr", "loss_scale", "skipped_steps"})
        CHECK(g["curve"][i][k] == e["curve"][i][k]);
    }
    CHECK(g["best_valid"] == e["best_valid"]);
    if (overflow) CHECK(g["curve"][0]["skipped_steps"].get<int64_t>() == kStepsPerEpoch);
    // The checkpoints hold the same bytes: weights, BN statistics and counters, Adam state,
    // step counts and loss scale.
    const std::string suffix = overflow ? "_ovf" : "";
    auto ce = io::load_safetensors((amp_data().dir / ("eager" + suffix) / "checkpoint.safetensors").string());
    auto cg = io::load_safetensors((amp_data().dir / ("graph" + suffix) / "checkpoint.safetensors").string());
    REQUIRE(cg.size() == ce.size());
    for (auto& [name, t] : ce) {
      CAPTURE(name);
      REQUIRE(cg.count(name));
      CHECK(cg.at(name).to_vector<double>() == t.to_vector<double>());
    }
  }
}
