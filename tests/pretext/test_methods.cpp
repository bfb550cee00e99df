// Each pretext method pretrains on a small rendered dataset through the `pretrain`
// driver (CPU, tiny ResNet9): the loss falls clearly and the method's accuracy rises well
// above chance. Numbers are printed so runs can be compared.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

#include "pretext_data.h"
#include "ss/exp/pretrain.h"

using namespace ss;
using namespace ss::pretext::testing;
using nlohmann::json;

namespace {

app::PretrainOptions tiny(const std::string& method, const std::string& out, int epochs) {
  app::PretrainOptions o;
  o.data = small_data().path;
  o.method.method = method;
  o.method.model.arch = "resnet9";
  o.method.model.width = 0.125;
  o.method.model.out_feats = method == "cmc" ? 64 : 128;
  o.method.nce_k = 256;
  o.epochs = epochs;
  o.batch = 64;
  o.lr = 2e-3;
  o.final_lr = 1e-4;
  o.warmup_epochs = 0;
  o.weight_decay = 1e-5;
  o.out = out;
  o.quiet = true;
  return o;
}

// Mean of the first k per-step losses and of the last epoch.
std::pair<double, double> before_after(const json& curve, size_t k = 3) {
  double first = 0;
  const auto& steps = curve["steps"];
  for (size_t i = 0; i < k; ++i) first += steps[i][1].get<double>();
  return {first / double(k), curve["epochs"].back()["loss"].get<double>()};
}

}  // namespace

TEST_CASE("pretext methods: the loss falls and the accuracy rises above chance (CPU, 32 px)") {
  struct Case {
    const char* method;
    int epochs;
    double chance;
  };
  for (Case c : {Case{"rotation", 3, 0.25}, Case{"vae", 2, 0}, Case{"cmc", 3, 1.0 / 257}, Case{"amdim", 2, 1.0 / 64}}) {
    SUBCASE(c.method) {
      const auto t0 = std::chrono::steady_clock::now();
      json curve = app::pretrain(tiny(c.method, small_data().run_dir(std::string("m_") + c.method), c.epochs));
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      auto [before, after] = before_after(curve);
      const json& last = curve["epochs"].back();
      std::printf("[pretext] %-8s loss %.4f -> %.4f", c.method, before, after);
      if (last.contains("acc")) std::printf(", acc first epoch %.3f -> last %.3f (chance %.3f)",
                                            curve["epochs"][0]["acc"].get<double>(), last["acc"].get<double>(), c.chance);
      if (last.contains("mse")) std::printf(", mse %.4f -> %.4f", curve["epochs"][0]["mse"].get<double>(), last["mse"].get<double>());
      std::printf(", %.0f img/s, %.1f s\n", last["img_per_s"].get<double>(), secs);
      CHECK(after < before);
    }
  }
}
