// Temporary experiments (skipped by default).
#include <doctest/doctest.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include "pretext_data.h"
#include "probe.h"
#include "ss/exp/pretrain.h"
#include "ss/data/splits.h"
#include "ss/models/checkpoint.h"
#include "ss/pretext/two_stream.h"
#include "ss/rng.h"
using namespace ss;
using namespace ss::pretext::testing;
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
static std::string env(const char* k, const char* d) { const char* v = std::getenv(k); return v ? v : d; }
TEST_CASE("exp pretext" * doctest::skip()) {
  static RenderedData data(std::stoll(env("N", "1200")), 32, env("BITS", "0000"));
  // override bits by rerender
  auto ds = std::make_shared<data::H5Dataset>(data.path);
  auto sp = data::Splits::make(ds->size());
  std::vector<int64_t> tr = sp.train.indices(), va = sp.valid.indices();
  double width = std::stod(env("W", "0.125"));
  for (std::string m : {env("M", "rotation")}) {
    app::PretrainOptions o;
    o.data = data.path; o.method.method = m; o.method.model.width = width;
    o.method.model.out_feats = m == "cmc" ? 64 : 128; o.method.nce_k = std::stoll(env("K", "256"));
    o.epochs = std::stoi(env("E", "3")); o.batch = std::stoi(env("B", "64")); o.lr = std::stod(env("LR", "2e-3")); o.final_lr = 1e-4;
    o.warmup_epochs = 0; o.weight_decay = 1e-5; o.out = data.run_dir(m); o.quiet = true;
    double t0 = now();
    auto curve = app::pretrain(o);
    double t1 = now();
    const auto& st = curve["steps"];
    double first = (st[0][1].get<double>() + st[1][1].get<double>() + st[2][1].get<double>()) / 3;
    std::printf("%s: %.1fs loss %.4f -> %.4f\n", m.c_str(), t1 - t0, first, curve["epochs"].back()["loss"].get<double>());
    for (auto& e : curve["epochs"]) std::printf("  %s\n", e.dump().c_str());
    models::ModelConfig mc; mc.arch = m == "cmc" ? "resnet9_cmc" : "resnet9"; mc.width = width; mc.out_feats = m == "cmc" ? 128 : 128;
    manual_seed(123);
    auto rnd = pretext::make_model(mc);
    auto pre = pretext::make_model(mc);
    models::load_backbone(o.out + "/backbone.safetensors", *pre);
    auto r1 = linear_probe(*rnd, *ds, tr, va), r2 = linear_probe(*pre, *ds, tr, va);
    std::printf("probe random: train %.3f valid %.3f | pretrained: train %.3f valid %.3f (%.1fs)\n", r1.train_acc, r1.valid_acc, r2.train_acc, r2.valid_acc, now() - t1);
  }
}
