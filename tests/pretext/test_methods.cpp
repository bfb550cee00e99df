// Each pretext method pretrains on a small rendered dataset through the `pretrain`
// driver (CPU, ResNet9 at width 0.125, 32 px): the loss falls clearly and the method's
// accuracy rises well above chance. Then the linear-probe comparison of pretrained vs
// random-init backbones (measured and printed; see pretext/README.md for the analysis).
// Numbers are printed with a "[pretext]" prefix so runs can be compared.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "pretext_data.h"
#include "probe.h"
#include "ss/data/splits.h"
#include "ss/exp/pretrain.h"
#include "ss/models/checkpoint.h"
#include "ss/pretext/two_stream.h"
#include "ss/render/png_io.h"
#include "ss/rng.h"

using namespace ss;
using namespace ss::pretext::testing;
using nlohmann::json;

namespace {

constexpr double kWidth = 0.125;

app::PretrainOptions tiny(const std::string& method, const std::string& out, int epochs) {
  app::PretrainOptions o;
  o.data = small_data().path;
  o.method.method = method;
  o.method.model.arch = "resnet9";
  o.method.model.width = kWidth;
  o.method.model.out_feats = method == "cmc" ? 64 : 128;  // CMC: per view (two-stream total 128)
  o.method.nce_k = 256;
  o.epochs = epochs;
  o.batch = 64;
  o.lr = 2e-3;
  o.final_lr = 1e-4;
  o.warmup_epochs = 0;
  o.weight_decay = 1e-5;
  o.max_images = 1000;  // pretrain on the first 1000 train images (the probe uses all 2000)
  o.out = out;
  o.quiet = true;
  return o;
}

struct Run {
  json curve;
  std::string out;
  double seconds = 0;
};

// Each method pretrains once per process; the loss test and the probe test share it.
const Run& pretrained(const std::string& method) {
  static std::map<std::string, Run> runs;
  auto it = runs.find(method);
  if (it != runs.end()) return it->second;
  const int epochs = method == "amdim" ? 2 : 3;
  Run r;
  r.out = small_data().run_dir("m_" + method);
  const auto t0 = std::chrono::steady_clock::now();
  r.curve = app::pretrain(tiny(method, r.out, epochs));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return runs.emplace(method, std::move(r)).first->second;
}

// Mean of the first k per-step losses, and the mean loss of the last epoch.
std::pair<double, double> before_after(const json& curve, size_t k = 3) {
  double first = 0;
  const auto& steps = curve["steps"];
  for (size_t i = 0; i < k; ++i) first += steps[i][1].get<double>();
  return {first / double(k), curve["epochs"].back()["loss"].get<double>()};
}

models::ModelConfig downstream_config(const std::string& method) {
  models::ModelConfig mc;
  mc.arch = method == "cmc" ? "resnet9_cmc" : "resnet9";
  mc.width = kWidth;
  mc.out_feats = 128;
  mc.out_classes = {10, 5};  // the trainer's single-object heads (dropped by nothing: fresh)
  return mc;
}

}  // namespace

TEST_CASE("pretext methods: the loss falls and the accuracy rises above chance (CPU, 32 px)") {
  OneThread one_thread;
  struct Case {
    const char* method;
    double max_ratio;  // loss after / before must be below this
    double chance;     // of the method's "acc" (0: no accuracy)
    double min_acc;    // required last-epoch accuracy
  };
  // chance: rotation 1/4; CMC 1/(K+1) = 1/257; AMDIM 1/B = 1/64. Required: rotation 0.45,
  // CMC 2.5x chance, AMDIM 4x chance (observed: 0.63, 3.8x, 6x).
  for (Case c : {Case{"rotation", 0.75, 0.25, 0.45}, Case{"vae", 0.85, 0, 0}, Case{"cmc", 0.95, 1.0 / 257, 2.5 / 257},
                 Case{"amdim", 0.95, 1.0 / 64, 4.0 / 64}}) {
    SUBCASE(c.method) {
      const Run& r = pretrained(c.method);
      auto [before, after] = before_after(r.curve);
      const json& last = r.curve["epochs"].back();
      std::printf("[pretext] %-8s loss %.4f -> %.4f (x%.2f)", c.method, before, after, after / before);
      if (c.chance > 0)
        std::printf(", acc epoch 1 %.3f -> epoch %zu %.3f (chance %.4f)", r.curve["epochs"][0]["acc"].get<double>(),
                    r.curve["epochs"].size(), last["acc"].get<double>(), c.chance);
      if (last.contains("mse"))
        std::printf(", mse %.4f -> %.4f, kl %.1f -> %.1f", r.curve["epochs"][0]["mse"].get<double>(),
                    last["mse"].get<double>(), r.curve["epochs"][0]["kl"].get<double>(), last["kl"].get<double>());
      std::printf(", %.0f img/s, %.1f s\n", last["img_per_s"].get<double>(), r.seconds);
      CHECK(after < c.max_ratio * before);
      if (c.chance > 0) CHECK(last["acc"].get<double>() > c.min_acc);
      CHECK(std::filesystem::exists(r.out + "/backbone.safetensors"));
      CHECK(std::filesystem::exists(r.out + "/checkpoint.safetensors"));
      CHECK(std::filesystem::exists(r.out + "/loss_curve.json"));
      if (std::string(c.method) == "vae") {
        int w = 0, h = 0;
        std::vector<uint8_t> png = render::read_png_rgb(r.out + "/reconstructions.png", w, h);
        CHECK(w == 8 * (32 + 2) + 2);  // 8 per row, 2 px gaps
        CHECK(h == 2 * 2 * (32 + 2) + 2);  // 16 images: 2 pairs of (input, reconstruction) rows
      }
    }
  }
}

TEST_CASE("linear probe on class labels: pretrained vs random-init backbone (measured, printed)") {
  OneThread one_thread;
  const auto& d = small_data();
  auto ds = std::make_shared<data::H5Dataset>(d.path);
  const data::Splits sp = data::Splits::make(ds->size(), d.path);
  const std::vector<int64_t> tr = sp.train.indices(), va = sp.valid.indices();
  for (const char* method : {"rotation", "vae", "cmc", "amdim"}) {
    CAPTURE(method);
    const Run& r = pretrained(method);
    manual_seed(1234);
    auto random_net = pretext::make_model(downstream_config(method));
    auto pre_net = pretext::make_model(downstream_config(method));
    models::LoadReport rep = models::load_backbone(r.out + "/backbone.safetensors", *pre_net);
    CHECK(!rep.loaded.empty());
    ProbeResult pr = linear_probe(*random_net, *ds, tr, va), pp = linear_probe(*pre_net, *ds, tr, va);
    std::printf("[pretext] probe %-8s random-init: train %.3f valid %.3f | pretrained: train %.3f valid %.3f (%+.3f)\n",
                method, pr.train_acc, pr.valid_acc, pp.train_acc, pp.valid_acc, pp.valid_acc - pr.valid_acc);
    // What holds at this tiny scale (see pretext/README.md): both probes learn the classes
    // well above chance (0.1). Pretrained > random is NOT asserted: it does not hold here.
    CHECK(pr.valid_acc > 0.3);
    CHECK(pp.valid_acc > 0.3);
  }
}

// The same comparison after longer pretraining (12 epochs on all 2000 train images): a few
// minutes per method on 2 cores, so skipped by default. Run with
//   test_pretext -tc='*longer pretraining*' --no-skip
// The numbers in pretext/README.md come from this case.
TEST_CASE("linear probe after longer pretraining (slow, skipped by default)" * doctest::skip()) {
  OneThread one_thread;
  const auto& d = small_data();
  auto ds = std::make_shared<data::H5Dataset>(d.path);
  const data::Splits sp = data::Splits::make(ds->size(), d.path);
  const std::vector<int64_t> tr = sp.train.indices(), va = sp.valid.indices();
  for (const char* method : {"rotation", "vae", "cmc", "amdim"}) {
    app::PretrainOptions o = tiny(method, d.run_dir(std::string("long_") + method), 12);
    o.max_images = 0;
    const auto t0 = std::chrono::steady_clock::now();
    json curve = app::pretrain(o);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto [before, after] = before_after(curve);
    manual_seed(1234);
    auto random_net = pretext::make_model(downstream_config(method));
    auto pre_net = pretext::make_model(downstream_config(method));
    models::load_backbone(o.out + "/backbone.safetensors", *pre_net);
    ProbeResult pr = linear_probe(*random_net, *ds, tr, va), pp = linear_probe(*pre_net, *ds, tr, va);
    const json& last = curve["epochs"].back();
    std::printf("[pretext] long %-8s loss %.4f -> %.4f%s%.3f, %.0f s | probe random-init valid %.3f, pretrained valid %.3f (%+.3f)\n",
                method, before, after, last.contains("acc") ? ", acc " : ", mse ",
                last.contains("acc") ? last["acc"].get<double>() : last["mse"].get<double>(), secs, pr.valid_acc,
                pp.valid_acc, pp.valid_acc - pr.valid_acc);
    CHECK(after < before);
  }
}
