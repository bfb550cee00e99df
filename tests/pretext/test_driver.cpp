// The `pretrain` driver and the downstream side: checkpoints that `selfstudy train --init`
// loads, the CMC two-stream model, exact resume, NaN detection, the CLI.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "pretext_data.h"
#include "ss/autograd.h"
#include "ss/exp/pretrain.h"
#include "ss/exp/trainer.h"
#include "ss/io/safetensors.h"
#include "ss/models/checkpoint.h"
#include "ss/pretext/cmc.h"
#include "ss/pretext/two_stream.h"
#include "ss/rng.h"

using namespace ss;
using namespace ss::pretext::testing;
namespace fs = std::filesystem;

namespace {
app::PretrainOptions quick(const std::string& method, const std::string& out, int epochs) {
  app::PretrainOptions o;
  o.data = small_data().path;
  o.method.method = method;
  o.method.model.width = 0.125;
  o.method.model.out_feats = method == "cmc" ? 32 : 64;
  o.method.nce_k = 64;
  o.epochs = epochs;
  o.batch = 32;
  o.max_images = 128;
  o.warmup_epochs = 1;
  o.out = out;
  o.quiet = true;
  return o;
}

void check_same_tensors(const std::string& a, const std::string& b) {
  io::TensorMap ta = io::load_safetensors(a), tb = io::load_safetensors(b);
  REQUIRE(ta.size() == tb.size());
  for (auto& [k, v] : ta) {
    CAPTURE(k);
    REQUIRE(tb.count(k));
    CHECK(v.to_vector<float>() == tb[k].to_vector<float>());
  }
}
}  // namespace

TEST_CASE("a pretrained backbone loads into the downstream model and the trainer finetunes from it") {
  OneThread one_thread;
  const std::string out = small_data().run_dir("drv_rotation");
  app::pretrain(quick("rotation", out, 1));
  const std::string ckpt = out + "/backbone.safetensors";
  io::Metadata meta;
  io::TensorMap t = io::load_safetensors(ckpt, &meta);
  CHECK(meta["pretext"] == "rotation");
  CHECK(meta["arch"] == "resnet9");
  for (auto& [k, v] : t) CHECK_MESSAGE(k.rfind("heads.", 0) != 0, k);  // no task / pretext heads

  // exactly what `selfstudy train --init` does
  app::TrainOptions o;
  o.data = small_data().path;
  o.model.width = 0.125;
  o.model.out_feats = 64;
  o.init = ckpt;
  o.n = 64;
  o.epochs = 1;
  o.batch = 32;
  o.min_samples = 0;
  o.eval_max = 64;
  o.out = small_data().run_dir("drv_finetune");
  o.quiet = true;
  nlohmann::json r = app::train(o);
  CHECK(r["init"] == ckpt);
  CHECK(r["best_valid"][r["primary_metric"].get<std::string>()].get<double>() >= 0.0);
}

TEST_CASE("CMC: the two-stream downstream model equals concat(f_L, f_ab) of the two encoders") {
  OneThread one_thread;
  pretext::MethodConfig mc;
  mc.method = "cmc";
  mc.model.width = 0.125;
  mc.model.out_feats = 16;
  mc.bank_size = 10;
  mc.nce_k = 4;
  mc.res = 16;
  manual_seed(3);
  auto cmc = std::static_pointer_cast<pretext::Cmc>(pretext::make_method(mc));
  cmc->eval();
  auto net = cmc->downstream();
  net->eval();
  CHECK(net->backbone().arch() == "resnet9_cmc");
  CHECK(net->out_feats() == 32);
  Tensor x = Tensor::normal({3, 3, 16, 16}, 0, 1, 5);
  NoGradGuard ng;
  Tensor f = net->features(x);
  Tensor fl = cmc->encoder_l->features(slice(x, 1, 0, 1)), fab = cmc->encoder_ab->features(slice(x, 1, 1, 3));
  Tensor expect = concat({fl, fab}, 1);
  std::vector<float> a = f.to_vector<float>(), b = expect.to_vector<float>();
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::abs(a[i] - b[i])));
  CHECK(worst < 1e-5);

  // save -> load into a fresh resnet9_cmc FeatureNet with task heads
  const std::string path = small_data().run_dir("cmc_two_stream.safetensors");
  fs::create_directories(fs::path(path).parent_path());
  models::save_backbone(path, *net, {{"pretext", "cmc"}});
  models::ModelConfig dc;
  dc.arch = "resnet9_cmc";
  dc.width = 0.125;
  dc.out_feats = 32;
  dc.out_classes = {10, 5};
  auto fresh = pretext::make_model(dc);
  models::load_backbone(path, *fresh);
  fresh->eval();
  std::vector<float> c = fresh->features(x).to_vector<float>();
  for (size_t i = 0; i < a.size(); ++i) CHECK(c[i] == a[i]);
  // freezing works stage by stage through both streams
  auto stages = fresh->stage_outputs(x, 2);
  CHECK(stages[1].size(1) == cmc->encoder_l->backbone().stage_channels(2) + cmc->encoder_ab->backbone().stage_channels(2));
}

TEST_CASE("CMC pretraining end to end writes a resnet9_cmc backbone the trainer finetunes") {
  OneThread one_thread;
  const std::string out = small_data().run_dir("drv_cmc");
  app::PretrainOptions o = quick("cmc", out, 1);
  app::pretrain(o);
  io::Metadata meta;
  io::TensorMap t = io::load_safetensors(out + "/backbone.safetensors", &meta);
  CHECK(meta["arch"] == "resnet9_cmc");
  CHECK(t.count("l.conv1.weight"));
  CHECK(t.count("ab.conv1.weight"));
  CHECK(t["prepool_fc.weight"].shape() == Shape{64, t["prepool_fc.weight"].size(1)});
  // the checkpoint carries both banks (exact resume)
  io::TensorMap ck = io::load_safetensors(out + "/checkpoint.safetensors");
  CHECK(ck.count("method.bank_l.memory"));
  CHECK(ck["method.bank_ab.memory"].shape() == Shape{128, 32});

  // `selfstudy train --init <cmc backbone> --set model.arch=resnet9_cmc`
  app::TrainOptions to;
  to.data = small_data().path;
  to.model.arch = "resnet9_cmc";
  to.model.width = 0.125;
  to.model.out_feats = 64;
  to.init = out + "/backbone.safetensors";
  to.n = 64;
  to.epochs = 1;
  to.batch = 32;
  to.min_samples = 0;
  to.eval_max = 64;
  to.out = small_data().run_dir("drv_cmc_finetune");
  to.quiet = true;
  nlohmann::json r = app::train(to);
  CHECK(r["init"] == to.init);
  CHECK(r["model"].get<std::string>().rfind("resnet9_cmc", 0) == 0);
}

TEST_CASE("resume: 2 epochs in one go == 1 epoch + --resume for the second (every method)") {
  OneThread one_thread;
  for (const char* m : {"rotation", "vae", "cmc", "amdim"}) {
    CAPTURE(m);
    const std::string a = small_data().run_dir(std::string("res_a_") + m), b = small_data().run_dir(std::string("res_b_") + m);
    app::PretrainOptions o = quick(m, a, 2);
    o.max_images = 64;
    app::pretrain(o);
    app::PretrainOptions first = o;  // the same run, interrupted after its first epoch
    first.out = b;
    first.stop_after_epochs = 1;
    app::pretrain(first);
    CHECK(!fs::exists(b + "/reconstructions.png"));
    app::PretrainOptions second = o;
    second.out = b;
    second.resume = true;
    nlohmann::json curve = app::pretrain(second);
    CHECK(curve["epochs"].size() == 2);
    check_same_tensors(a + "/backbone.safetensors", b + "/backbone.safetensors");
  }
}

TEST_CASE("a non-finite loss stops with a clear error naming the step") {
  OneThread one_thread;
  app::PretrainOptions o = quick("rotation", small_data().run_dir("nan"), 1);
  o.lr = 1e30;
  o.warmup_epochs = 0;
  try {
    app::pretrain(o);
    FAIL("expected an error");
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    CHECK(msg.find("loss became") != std::string::npos);
    CHECK(msg.find("at step") != std::string::npos);
  }
}

TEST_CASE("CLI: selfstudy pretrain parses its options, runs, and writes config + outputs") {
  OneThread one_thread;
  const std::string out = small_data().run_dir("cli");
  CLI::App app{"test"};
  app.require_subcommand(1);
  app::add_pretrain_command(app);
  const std::string help = app.get_subcommand("pretrain")->help();
  CHECK(help.find("--method") != std::string::npos);
  CHECK(help.find("--resume") != std::string::npos);
  std::vector<std::string> args = {"pretrain", "--method", "vae", "--model", "resnet9", "--data", small_data().path,
                                   "--width", "0.125", "--epochs", "1", "--batch", "16", "--seed", "3", "--out", out,
                                   "--set", "train.max_images=32", "--set", "model.out_feats=32"};
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  app.parse(args);
  CHECK(fs::exists(out + "/config.toml"));
  CHECK(fs::exists(out + "/backbone.safetensors"));
  CHECK(fs::exists(out + "/reconstructions.png"));
  std::ifstream in(out + "/loss_curve.json");
  nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["method"] == "vae");
  CHECK(j["batch"] == 16);
  CHECK(j["epochs"].size() == 1);

  CLI::App app2{"test"};
  app::add_pretrain_command(app2);
  std::vector<std::string> bad = {"pretrain", "--method", "jigsaw"};
  std::reverse(bad.begin(), bad.end());
  CHECK_THROWS(app2.parse(bad));
}
