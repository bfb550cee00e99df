// Whole-model parity with PyTorch: tests/fixtures/models/<case>.safetensors were written by
// make_model_fixtures.py (torch 1.13, the authors' architecture code re-typed without
// torchvision). We load the same weights, run forward + backward in train-mode and
// eval-mode BatchNorm, and compare features, head outputs, the loss, the input gradient,
// every parameter gradient and (train mode) the updated BN buffers.
//
// Tolerance (expected values are float64 results rounded to f32, so what is measured is
// our own f32 rounding, accumulated through the whole network):
//   |got - expected| <= 1e-4 * |expected| + 1e-9 + atol_of_max * max|expected of that tensor|
//   ResNet9:  atol_of_max 1e-5 (as for single ops in tests/engine)
//   ResNet50: atol_of_max 3e-4. 53 train-mode BatchNorms over tiny batches (16-32 values
//             per channel in layer4) amplify rounding: PyTorch's own f32 forward/backward
//             of the same fixtures reaches 0.85x of a 1e-4 bound (resnet50_dense, train),
//             and ours is about the same (0.99x), so 3e-4 leaves ~3x headroom.
// The worst err/allowed ratio over all tensors is printed per case (CPU, this commit:
// resnet9 0.41, resnet9_half 0.37, resnet50 0.20, resnet50_dense 0.36); run with
// SS_TEST_VERBOSE=1 to see every tensor's max error.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>

#include "model_test_util.h"
#include "ss/autograd.h"
#include "ss/kernels/switches.h"
#include "ss/models/registry.h"
#include "ss/ops.h"

using namespace ss;
using namespace ss::models;
using namespace ss::models::test;

namespace {

constexpr Tol kResNet9Tol{1e-4, 1e-9, 1e-5};
constexpr Tol kResNet50Tol{1e-4, 1e-9, 3e-4};

std::vector<int> parse_ints(const std::string& s) {
  std::vector<int> out;
  size_t p = 0;
  while (p < s.size()) {
    size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    out.push_back(std::stoi(s.substr(p, q - p)));
    p = q + 1;
  }
  return out;
}

// in_place: the gradients the backward sums in place (grad_accumulator)
void run_case(const std::string& name, Device dev, Tol tol, int64_t in_place) {
  io::Metadata meta;
  io::TensorMap f = io::load_safetensors(fixture_path(name + ".safetensors"), &meta);
  auto get = [&](const std::string& k) -> const Tensor& {
    auto it = f.find(k);
    REQUIRE_MESSAGE(it != f.end(), name << ": fixture lacks '" << k << "'");
    return it->second;
  };
  ModelConfig cfg;
  cfg.arch = meta.at("arch");
  cfg.width = std::strtod(meta.at("width").c_str(), nullptr);
  cfg.in_channels = std::stoi(meta.at("in_channels"));
  cfg.out_feats = std::stoi(meta.at("out_feats"));
  cfg.dense = meta.at("dense") == "1";
  cfg.out_classes = parse_ints(meta.at("out_classes"));

  std::map<std::string, Tensor> state;
  for (auto& [k, t] : f)
    if (k.rfind("model.", 0) == 0) state[k.substr(6)] = t;

  double worst = 0;
  for (const char* mode : {"train", "eval"}) {
    const std::string m = mode, tag = name + " " + m + "@" + dev.str();
    auto net = make_model(cfg);
    net->load_state_dict(state, /*strict=*/true);  // every name and shape must match torch's
    CHECK(net->num_parameters() == std::stoll(meta.at("params")));
    net->to(dev);
    net->train(m == "train");

    Tensor x = get("x").clone().to(dev);
    x.set_requires_grad(true);
    FeatureNet::Output out = net->run(x);
    REQUIRE(out.logits.size() == cfg.out_classes.size());
    Tensor loss;
    if (cfg.dense) {
      loss = add(cross_entropy(out.logits[0], get("label.0").to(dev)),
                 l1_loss(out.logits[1], get("label.1").to(dev)));
    } else {
      for (size_t i = 0; i < out.logits.size(); ++i) {
        Tensor l = cross_entropy(out.logits[i], get("label." + std::to_string(i)).to(dev));
        loss = i == 0 ? l : add(loss, l);
      }
    }
    const int64_t in_place_before = grads_accumulated_in_place();
    loss.backward();
    // every residual block's input gradient summed in place (its shortcut's gradient is
    // pending when the first convolution's backward runs); on CUDA only when switched on
    const bool acc_on = !dev.is_cuda() || perf_switch("SS_CONV_DGRAD_ACC");
    CHECK_MESSAGE(grads_accumulated_in_place() - in_place_before == (acc_on ? in_place : 0),
                  tag << ": gradients summed in place");

    auto cmp = [&](const std::string& what, const Tensor& got) {
      worst = std::max(worst, expect_close(tag + " " + what, get(m + "." + what), got, tol));
    };
    cmp("stage4", out.stages.back());
    cmp("features", out.features);
    for (size_t i = 0; i < out.logits.size(); ++i)
      cmp("logits." + std::to_string(i), out.logits[i]);
    cmp("loss", reshape(loss.detach(), {}));
    cmp("grad.x", x.grad());
    size_t n_grads = 0;
    for (auto& [pn, p] : net->named_parameters()) {
      cmp("grad." + pn, p.grad());
      ++n_grads;
    }
    size_t n_expected = 0;
    for (auto& [k, t] : f) n_expected += k.rfind(m + ".grad.", 0) == 0 && k != m + ".grad.x";
    CHECK_MESSAGE(n_grads == n_expected,
                  tag << ": " << n_grads << " parameter grads, fixture has " << n_expected);
    if (m == "train") {
      for (auto& [bn, b] : net->named_buffers()) {
        const Tensor& want = get("train.after." + bn);
        if (b.dtype() == DType::I64)
          CHECK_MESSAGE(b.to_vector<int64_t>() == want.to_vector<int64_t>(), tag << " " << bn);
        else
          worst = std::max(worst, expect_close(tag + " after." + bn, want, b, tol));
      }
    }
  }
  MESSAGE(name << "@" << dev.str() << ": worst err/allowed over all tensors = " << worst);
}

}  // namespace

TEST_CASE("model parity with PyTorch: resnet9 (width 1/16), train + eval BN") {
  for (Device d : test_devices()) run_case("resnet9", d, kResNet9Tol, 2);
}
TEST_CASE("model parity with PyTorch: resnet9_half (width 1/8, 2 input channels)") {
  for (Device d : test_devices()) run_case("resnet9_half", d, kResNet9Tol, 2);
}
TEST_CASE("model parity with PyTorch: resnet50 (width 1/32)") {
  for (Device d : test_devices()) run_case("resnet50", d, kResNet50Tol, 16);
}
TEST_CASE("model parity with PyTorch: resnet50 dense (dilated layer4, per-pixel heads)") {
  for (Device d : test_devices()) run_case("resnet50_dense", d, kResNet50Tol, 17);
}
