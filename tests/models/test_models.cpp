// Model structure: parameter counts and names against PyTorch (param_counts.json) and
// REFERENCE §7, freeze_at_k, output shapes at 64 and 128 px, checkpoints, the registry.
#include <doctest/doctest.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model_test_util.h"
#include "ss/autograd.h"
#include "ss/models/checkpoint.h"
#include "ss/models/registry.h"
#include "ss/ops.h"
#include "ss/rng.h"

using namespace ss;
using namespace ss::models;
namespace fs = std::filesystem;

namespace {

ModelConfig config_from_json(const nlohmann::json& j) {
  ModelConfig c;
  c.arch = j.at("arch").get<std::string>();
  c.width = j.value("width", 1.0);
  c.in_channels = j.value("in_channels", 3);
  c.out_feats = j.value("out_feats", 256);
  c.dense = j.value("dense", false);
  c.out_classes = j.value("out_classes", std::vector<int>{});
  return c;
}

// Which freeze stage (1..4) a parameter belongs to; 0 for prepool_fc / heads.
int stage_of(const std::string& arch, const std::string& name) {
  auto has = [&](const char* p) { return name.rfind(p, 0) == 0; };
  if (has("prepool_fc.") || has("heads.")) return 0;
  const bool r9 = arch.rfind("resnet9", 0) == 0;
  if (has("conv1.") || has("bn1.")) return 1;
  for (int l = 1; l <= 4; ++l)
    if (has(("layer" + std::to_string(l) + ".").c_str())) return r9 ? l + 1 : std::max(l, 1);
  FAIL("parameter outside every stage: " << name);
  return -1;
}

bool nonzero(const Tensor& g) {
  for (float v : g.to_vector<float>())
    if (v != 0) return true;
  return false;
}

fs::path tmpdir() {
  fs::path p = fs::temp_directory_path() / ("ss_models_test_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p;
}

}  // namespace

TEST_CASE("parameter counts and names match PyTorch and REFERENCE §7") {
  std::ifstream in(test::fixture_path("param_counts.json"));
  REQUIRE_MESSAGE(in.good(), "missing param_counts.json (run make_model_fixtures.py)");
  const nlohmann::json counts = nlohmann::json::parse(in);
  for (auto& [key, e] : counts.items()) {
    CAPTURE(key);
    manual_seed(1);
    auto net = make_model(config_from_json(e.at("config")));
    CHECK(net->num_parameters() == e.at("total").get<int64_t>());
    CHECK(net->num_backbone_parameters() == e.at("backbone").get<int64_t>());
    if (e.contains("parameters")) {  // ordered names + shapes, so torch checkpoints map 1:1
      auto mine = net->named_parameters();
      REQUIRE(mine.size() == e.at("parameters").size());
      for (size_t i = 0; i < mine.size(); ++i) {
        CHECK(mine[i].first == e["parameters"][i][0].get<std::string>());
        CHECK(mine[i].second.shape() == e["parameters"][i][1].get<Shape>());
      }
      auto bufs = net->named_buffers();
      REQUIRE(bufs.size() == e.at("buffers").size());
      for (size_t i = 0; i < bufs.size(); ++i) {
        CHECK(bufs[i].first == e["buffers"][i][0].get<std::string>());
        CHECK(bufs[i].second.shape() == e["buffers"][i][1].get<Shape>());
      }
    }
  }
  // REFERENCE §7: "ResNet9 has 6.6 M parameters; ResNet50 23.5 M (without fc)" -- the
  // backbone alone (no prepool_fc, no heads).
  const int64_t r9 = counts["resnet9"]["backbone"], r50 = counts["resnet50"]["backbone"];
  CHECK(r9 == 6'568'000);
  CHECK(std::abs(double(r9) - 6.6e6) < 0.05e6);
  CHECK(r50 == 23'508'032);
  CHECK(std::abs(double(r50) - 23.5e6) < 0.05e6);
}

TEST_CASE("init: Kaiming normal fan_out convs, BN 1/0, seeded and reproducible") {
  ModelConfig c{"resnet9", 0.25, 3, 32, false, {10, 5}};
  manual_seed(123);
  auto a = make_model(c);
  manual_seed(123);
  auto b = make_model(c);
  for (auto& [n, t] : a->state_dict())
    CHECK_MESSAGE(t.to_vector<float>() == b->state_dict()[n].to_vector<float>(), n);
  // layer3.1.conv1: 128x128x3x3 at width 1/4, fan_out = 128*9 -> std sqrt(2/1152)
  auto w = a->state_dict()["layer3.1.conv1.weight"].to_vector<float>();
  double ss2 = 0;
  for (float v : w) ss2 += double(v) * v;
  CHECK(std::sqrt(ss2 / double(w.size())) == doctest::Approx(std::sqrt(2.0 / 1152)).epsilon(0.03));
  CHECK(a->state_dict()["layer2.0.bn.weight"].to_vector<float>() == std::vector<float>(64, 1.f));
  CHECK(a->state_dict()["layer2.0.bn.bias"].to_vector<float>() == std::vector<float>(64, 0.f));
  // Linear layers keep the PyTorch default U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  for (float v : a->state_dict()["heads.0.weight"].to_vector<float>())
    CHECK(std::fabs(v) <= 1.0 / std::sqrt(32.0) + 1e-7);
}

TEST_CASE("freeze_at_k: stages <= k get no gradient, later stages and heads do") {
  for (const char* arch : {"resnet9", "resnet50"}) {
    manual_seed(7);
    auto net = make_model({arch, 1.0 / 16, 3, 16, false, {10}});
    net->train();
    const Tensor x = Tensor::normal({2, 3, 32, 32}, 0, 1, 99);
    const Tensor y = Tensor::from_vector<int64_t>({3, 7}, {2});
    Tensor ref_feats;
    for (int k = 0; k <= kNumStages; ++k) {
      CAPTURE(arch);
      CAPTURE(k);
      net->zero_grad();
      auto out = net->run(x, k);
      for (int s = 1; s <= kNumStages; ++s) CHECK(out.stages[s - 1].requires_grad() == (s > k));
      cross_entropy(out.logits[0], y).backward();
      for (auto& [name, p] : net->named_parameters()) {
        const int s = stage_of(arch, name);
        if (s != 0 && s <= k)
          CHECK_MESSAGE(!p.grad().defined(), name << " is frozen but has a gradient");
        else
          CHECK_MESSAGE((p.grad().defined() && nonzero(p.grad())), name << " has no gradient");
      }
      // Freezing cuts gradients only: the forward values are unchanged.
      if (k == 0)
        ref_feats = out.features.detach();
      else
        CHECK(out.features.to_vector<float>() == ref_feats.to_vector<float>());
    }
    CHECK_THROWS_WITH_AS(net->run(x, 5), doctest::Contains("freeze_at must be in [0, 4]"), Error);
  }
}

TEST_CASE("output shapes at 64 and 128 px (dense maps are 16x16 at 128 px)") {
  NoGradGuard ng;
  struct C {
    ModelConfig cfg;
    int res;
    std::vector<int> sizes;  // spatial size of each stage
    int channels[4];
  };
  const C cases[] = {
      {{"resnet9", 0.125, 3, 256, false, {10, 5}}, 64, {64, 32, 16, 8}, {8, 16, 32, 64}},
      {{"resnet9", 0.125, 3, 512, true, {11, 1}}, 128, {128, 64, 32, 16}, {8, 16, 32, 64}},
      {{"resnet9_half", 0.125, 1, 128, false, {}}, 64, {64, 32, 16, 8}, {8, 16, 16, 64}},
      {{"resnet50", 0.125, 3, 256, false, {10, 5}}, 64, {32, 16, 8, 4}, {32, 64, 128, 256}},
      {{"resnet50", 0.125, 3, 512, true, {11, 1}}, 128, {64, 32, 16, 16}, {32, 64, 128, 256}},
  };
  for (const C& c : cases) {
    manual_seed(3);
    auto net = make_model(c.cfg);
    net->eval();
    CAPTURE(net->describe());
    CAPTURE(c.res);
    const int64_t N = 2;
    auto out = net->run(Tensor::normal({N, c.cfg.in_channels, c.res, c.res}, 0, 1, 5));
    for (int k = 0; k < kNumStages; ++k) {
      CHECK(out.stages[k].shape() == Shape{N, c.channels[k], c.sizes[k], c.sizes[k]});
      CHECK(net->backbone().stage_channels(k + 1) == c.channels[k]);
      CHECK(c.res / net->backbone().stage_stride(k + 1) == c.sizes[k]);
    }
    const int64_t h = c.sizes[3], F = c.cfg.out_feats;
    CHECK(out.feature_map.shape() == Shape{N, F, h, h});
    CHECK(out.features.shape() == Shape{N, F});
    REQUIRE(out.logits.size() == c.cfg.out_classes.size());
    for (size_t i = 0; i < out.logits.size(); ++i) {
      const int64_t k = c.cfg.out_classes[i];
      CHECK(out.logits[i].shape() == (c.cfg.dense ? Shape{N, k, h, h} : Shape{N, k}));
    }
    if (c.cfg.dense && c.res == 128) CHECK(h == 16);
  }
}

TEST_CASE("checkpoints: round trip, pretext heads dropped, task heads kept, clear errors") {
  const fs::path dir = tmpdir();
  const ModelConfig cfg{"resnet9", 1.0 / 16, 3, 16, false, {10, 5}};
  manual_seed(1);
  auto a = make_model(cfg);
  {  // move BN running stats off their defaults so buffers are really checked
    a->train();
    NoGradGuard ng;
    a->run(Tensor::normal({2, 3, 16, 16}, 0, 1, 4));
  }
  const std::string plain = (dir / "backbone.safetensors").string();
  save_backbone(plain, *a, {{"method", "test"}});
  io::Metadata meta;
  io::TensorMap saved = io::load_safetensors(plain, &meta);
  CHECK(meta.at("model") == a->describe());
  CHECK(meta.at("method") == "test");
  CHECK(saved.count("prepool_fc.weight") == 1);
  CHECK(saved.count("layer1.0.bn.running_var") == 1);
  for (auto& [k, t] : saved) CHECK_MESSAGE(k.rfind("heads.", 0) != 0, k);

  // A pretraining checkpoint: backbone + prepool_fc + the pretext module's own layers.
  io::TensorMap pre = saved;
  pre["pretext.fc.weight"] = Tensor::zeros({4, 16});
  pre["pretext.fc.bias"] = Tensor::zeros({4});
  const std::string pre_path = (dir / "pretext.safetensors").string();
  io::save_safetensors(pre_path, pre);

  manual_seed(2);
  auto b = make_model(cfg);
  const auto heads_before = b->heads().state_dict();
  LoadReport rep = load_backbone(pre_path, *b);
  CHECK(rep.dropped == std::vector<std::string>{"pretext.fc.bias", "pretext.fc.weight"});
  CHECK(rep.loaded.size() == saved.size());
  auto sa = a->state_dict(), sb = b->state_dict();
  for (auto& [k, t] : sb) {
    if (k.rfind("heads.", 0) == 0) continue;
    if (t.dtype() == DType::I64)
      CHECK(t.to_vector<int64_t>() == sa[k].to_vector<int64_t>());
    else
      CHECK_MESSAGE(t.to_vector<float>() == sa[k].to_vector<float>(), k);
  }
  for (auto& [k, t] : b->heads().state_dict())
    CHECK_MESSAGE(t.to_vector<float>() == heads_before.at(k).to_vector<float>(), "head " << k);

  // Unknown key not under a dropped prefix: error naming it.
  CHECK_THROWS_WITH_AS(load_backbone(pre_path, *b, LoadOptions{{}, ""}),
                       doctest::Contains("pretext.fc.bias"), Error);
  // Missing key: error naming it.
  io::TensorMap missing = saved;
  missing.erase("layer2.0.conv1.weight");
  const std::string miss_path = (dir / "missing.safetensors").string();
  io::save_safetensors(miss_path, missing);
  CHECK_THROWS_WITH_AS(load_backbone(miss_path, *b), doctest::Contains("layer2.0.conv1.weight"),
                       Error);
  // Another width: shape error naming the key.
  auto wide = make_model({"resnet9", 1.0 / 8, 3, 16, false, {}});
  CHECK_THROWS_WITH_AS(load_backbone(plain, *wide),
                       doctest::Contains("' has shape [8], model expects [16]"), Error);
  // A backbone nested in a pretext module ("encoder.*"), loaded with src_prefix.
  io::TensorMap nested;
  for (auto& [k, t] : saved) nested["encoder." + k] = t;
  nested["pretext.w"] = Tensor::zeros({1});
  const std::string nested_path = (dir / "nested.safetensors").string();
  io::save_safetensors(nested_path, nested);
  manual_seed(3);
  auto c = make_model(cfg);
  load_backbone(nested_path, *c, LoadOptions{{"pretext."}, "encoder."});
  CHECK(c->state_dict()["layer3.1.conv2.weight"].to_vector<float>() ==
        sa["layer3.1.conv2.weight"].to_vector<float>());
  fs::remove_all(dir);
}

TEST_CASE("registry: names, describe(), unknown arch") {
  CHECK(model_names() ==
        std::vector<std::string>{"resnet9", "resnet9_half", "resnet50", "resnet50_half"});
  auto m = make_model({"resnet9", 0.25, 3, 256, false, {10, 5}});
  const std::string d = m->describe();
  CHECK(d.find("resnet9 width=0.25 in=3 out_feats=256 heads=[10,5] params=") == 0);
  CHECK(d.find("params=448,543 (backbone 411,664)") != std::string::npos);  // torch's counts
  CHECK_THROWS_WITH_AS(make_model({"resnet18", 1.0, 3, 256, false, {}}),
                       doctest::Contains("unknown model 'resnet18'"), Error);
  CHECK_THROWS_WITH_AS(make_model({"resnet9", -1.0, 3, 256, false, {}}), doctest::Contains("width"),
                       Error);
}
