// batch_norm_act against the unfused ops it replaces, in float on the CPU: values, every
// gradient and the running statistics, and the memory autograd keeps alive. (Double
// precision gradients: the op table's gradient check; CPU/CUDA: the parity test.)
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "op_table.h"
#include "ss/allocator.h"
#include "ss/autograd.h"
#include "ss/kernels/runtime.h"
#include "ss/kernels/switches.h"
#include "ss/nn.h"
#include "ss/ops.h"

using namespace ss;

namespace {

std::string name_of(Act a) { return a == Act::ReLU ? "relu" : a == Act::CELU ? "celu" : "none"; }

// The composition batch_norm_act stands for.
Tensor unfused(const Tensor& x, const Tensor& g, const Tensor& b, const Tensor& rm,
               const Tensor& rv, bool training, Act act, double alpha, const Tensor& r) {
  Tensor h = batch_norm(x, g, b, rm, rv, training);
  if (r.defined()) h = add(h, r);
  if (act == Act::ReLU) return relu(h);
  if (act == Act::CELU) return celu(h, alpha);
  return h;
}

// max |a - b| / (1 + max |a|)
double rel_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.defined());
  REQUIRE(b.defined());
  REQUIRE(a.shape() == b.shape());
  const auto va = a.to_vector<float>(), vb = b.to_vector<float>();
  double worst = 0, scale = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    worst = std::max(worst, std::abs(double(va[i]) - vb[i]));
    scale = std::max(scale, std::abs(double(va[i])));
  }
  return worst / (1 + scale);
}

struct Inputs {
  Tensor x, g, b, r, rm, rv;
};
Inputs make(const Shape& s, uint64_t seed, bool residual) {
  const int C = int(s[1]);
  Inputs in;
  in.x = Tensor::normal(s, 0.3, 1.5, seed).set_requires_grad(true);
  in.g = Tensor::uniform({C}, 0.5, 1.5, seed + 1).set_requires_grad(true);
  in.b = Tensor::normal({C}, 0, 0.5, seed + 2).set_requires_grad(true);
  if (residual) in.r = Tensor::normal(s, 0, 1, seed + 3).set_requires_grad(true);
  in.rm = Tensor::normal({C}, 0, 0.2, seed + 4);
  in.rv = Tensor::uniform({C}, 0.5, 1.5, seed + 5);
  return in;
}
Inputs copy(const Inputs& a) {
  Inputs c;
  c.x = a.x.detach().clone().set_requires_grad(true);
  c.g = a.g.detach().clone().set_requires_grad(true);
  c.b = a.b.detach().clone().set_requires_grad(true);
  if (a.r.defined()) c.r = a.r.detach().clone().set_requires_grad(true);
  c.rm = a.rm.clone();
  c.rv = a.rv.clone();
  return c;
}

}  // namespace

TEST_CASE("bn_act: equals batch_norm + add + relu/celu in float (values, grads, running stats)") {
  // The 8x16x32x32 case spans several channel tiles on the CPU.
  for (const Shape& s : {Shape{4, 3, 5, 5}, Shape{8, 16, 32, 32}, Shape{6, 5}})
    for (Act act : {Act::None, Act::ReLU, Act::CELU})
      for (double alpha : {0.075, 1.0}) {
        if (act != Act::CELU && alpha != 1.0) continue;
        for (bool residual : {false, true})
          for (bool training : {true, false}) {
            CAPTURE(shape_str(s));
            CAPTURE(name_of(act));
            CAPTURE(alpha);
            CAPTURE(residual);
            CAPTURE(training);
            Inputs a = make(s, 17, residual), b = copy(a);
            Tensor ya = unfused(a.x, a.g, a.b, a.rm, a.rv, training, act, alpha, a.r);
            Tensor yb = batch_norm_act(b.x, b.g, b.b, b.rm, b.rv, training, act, alpha, b.r);
            CHECK(rel_diff(ya, yb) <= 1e-6);
            CHECK(rel_diff(a.rm, b.rm) <= 1e-7);
            CHECK(rel_diff(a.rv, b.rv) <= 1e-7);
            Tensor R = Tensor::normal(s, 0, 1, 99);
            sum(mul(ya, R)).backward();
            sum(mul(yb, R)).backward();
            CHECK(rel_diff(a.x.grad(), b.x.grad()) <= 1e-6);
            CHECK(rel_diff(a.g.grad(), b.g.grad()) <= 1e-6);
            CHECK(rel_diff(a.b.grad(), b.b.grad()) <= 1e-6);
            if (residual) CHECK(rel_diff(a.r.grad(), b.r.grad()) <= 1e-6);
          }
      }
}

TEST_CASE("bn_act: gradients reach only the inputs that need them") {
  Inputs a = make({3, 2, 4, 4}, 5, true);
  a.x.set_requires_grad(false);
  a.g.set_requires_grad(false);
  a.b.set_requires_grad(false);
  Tensor y = batch_norm_act(a.x, a.g, a.b, a.rm, a.rv, true, Act::ReLU, 1.0, a.r);
  sum(y).backward();
  CHECK(!a.x.grad().defined());
  REQUIRE(a.r.grad().defined());
  // d sum(relu(z)) / d r = [z > 0] = [y > 0]
  const auto gy = y.to_vector<float>(), gr = a.r.grad().to_vector<float>();
  for (size_t i = 0; i < gy.size(); ++i) CHECK(gr[i] == (gy[i] > 0 ? 1.f : 0.f));
  // without grad mode nothing is recorded
  NoGradGuard ng;
  Inputs c = make({3, 2, 4, 4}, 6, false);
  CHECK(!batch_norm_act(c.x, c.g, c.b, c.rm, c.rv, true, Act::CELU, 0.5).requires_grad());
}

TEST_CASE("bn_act: autograd keeps one activation-sized tensor less than the unfused ops") {
  auto& alloc = CachingAllocator::for_device(Device::cpu());
  const Shape s{8, 16, 16, 16};
  const size_t act_bytes = size_t(shape_numel(s)) * sizeof(float);
  for (Act act : {Act::ReLU, Act::CELU})
    for (bool residual : {false, true}) {
      CAPTURE(name_of(act));
      CAPTURE(residual);
      // Bytes alive after the forward (graph and output held), beyond the inputs.
      auto kept = [&](bool fused) {
        Inputs in = make(s, 3, residual);
        const size_t before = alloc.bytes_in_use();
        Tensor y = fused ? batch_norm_act(in.x, in.g, in.b, in.rm, in.rv, true, act, 0.5, in.r)
                         : unfused(in.x, in.g, in.b, in.rm, in.rv, true, act, 0.5, in.r);
        const size_t held = alloc.bytes_in_use() - before;
        sum(y).backward();  // the graph still works after measuring
        CHECK(in.x.grad().defined());
        return held;
      };
      const size_t u = kept(false), f = kept(true);
      MESSAGE(name_of(act), residual ? " + residual" : "", ": unfused keeps ", u, " B, fused ",
              f, " B (activation ", act_bytes, " B)");
      // The per-channel tensors (statistics, coefficients) take a few KiB.
      CHECK(f + act_bytes <= u + 4096);
      CHECK(f < u);
    }
}

TEST_CASE("bn_act: BatchNorm2d::forward_act is forward + activation, with the module's state") {
  nn::BatchNorm2d fused(3), plain(3);
  const Tensor x = Tensor::normal({4, 3, 3, 3}, 0, 1, 11);
  const Tensor r = Tensor::normal({4, 3, 3, 3}, 0, 1, 12);
  for (bool training : {true, false}) {
    fused.train(training);
    plain.train(training);
    Tensor a = fused.forward_act(x, Act::CELU, 0.075, r);
    Tensor b = celu(add(plain.forward(x), r), 0.075);
    CHECK(rel_diff(b, a) <= 1e-6);
    CHECK(rel_diff(plain.running_mean, fused.running_mean) <= 1e-7);
    CHECK(rel_diff(plain.running_var, fused.running_var) <= 1e-7);
    CHECK(fused.num_batches_tracked.data<int64_t>()[0] ==
          plain.num_batches_tracked.data<int64_t>()[0]);
  }
  CHECK(fused.num_batches_tracked.data<int64_t>()[0] == 1);
}

TEST_CASE("bn_act: bad arguments are clear errors") {
  Inputs a = make({2, 3, 4, 4}, 1, false);
  const Tensor wrong = Tensor::zeros({2, 3, 4, 5});
  CHECK_THROWS_WITH_AS(batch_norm_act(a.x, a.g, a.b, a.rm, a.rv, true, Act::ReLU, 1.0, wrong),
                       doctest::Contains("batch_norm_act: residual"), Error);
  CHECK_THROWS_WITH_AS(batch_norm_act(a.x, a.g, a.b, {}, {}, false, Act::ReLU),
                       doctest::Contains("eval mode needs running statistics"), Error);
  CHECK_THROWS_WITH_AS(batch_norm_act(a.x, a.g, a.b, a.rm, a.rv, true, Act::CELU, 0.0),
                       doctest::Contains("alpha must be positive"), Error);
  CHECK_THROWS_WITH_AS(batch_norm_act(Tensor::zeros({2, 3, 4}), a.g, a.b, a.rm, a.rv, true,
                                      Act::None),
                       doctest::Contains("[N,C] or [N,C,H,W]"), Error);
}

// The GPU's f16 channels-last batch norm at the sizes of real layers, against the CPU's f16
// computation (f32 math, rounded per op) on the same f16 inputs. The op table's rows are
// tiny: this is where the rows kernels (SS_BN_APPLY=rows, SS_BN_REDUCE=rows8) loop over many
// rows per thread and cuDNN's batch norm (SS_BN_CUDNN=1) leaves on-chip memory (the first
// case is 67 MB), so gpu_check's parity runs it under each switch.
TEST_CASE("CUDA batch_norm_act in f16 at layer sizes matches the CPU (values, grads, statistics)") {
  if (!cuda_available()) {
    MESSAGE("CUDA batch_norm_act at layer sizes skipped: ", cuda::unavailable_reason());
    return;
  }
  struct Case {
    Shape s;
    Act act;
    bool residual;
  };
  const Case cases[] = {
      {{128, 64, 64, 64}, Act::ReLU, false},  // ResNet9's stem at batch 128
      {{64, 64, 32, 32}, Act::CELU, false},   // ResNet9's ConvBlock: many rows per thread
      {{16, 128, 16, 16}, Act::CELU, true},
      {{32, 256, 16, 16}, Act::ReLU, true},   // a bottleneck's last BN with its shortcut
      {{16, 512, 8, 8}, Act::None, false},    // a downsample BN
      {{96, 2048, 4, 4}, Act::ReLU, true},    // ResNet50's layer4 @128 px: one lane per group
  };
  const std::string switches = perf_switches_on();
  for (const Case& k : cases) {
    CAPTURE(shape_str(k.s));
    CAPTURE(name_of(k.act));
    CAPTURE(k.residual);
    const int64_t C = k.s[1];
    const Tensor x16 = Tensor::normal(k.s, 0.3, 1.5, 41).to(DType::F16);
    const Tensor r16 = k.residual ? Tensor::normal(k.s, 0, 1, 42).to(DType::F16) : Tensor();
    const Tensor dy = Tensor::normal(k.s, 0, 1, 43).to(DType::F16);
    const Tensor g0 = Tensor::uniform({C}, 0.5, 1.5, 44), b0 = Tensor::normal({C}, 0, 0.5, 45);
    const Tensor rm0 = Tensor::normal({C}, 0, 0.2, 46), rv0 = Tensor::uniform({C}, 0.5, 1.5, 47);
    struct Out {
      Tensor y, dx, dg, db, dr, rm, rv;
    };
    auto run = [&](Device dev) {
      auto leaf = [&](const Tensor& t) {
        if (!t.defined()) return Tensor();
        Tensor l = t.to(dev);
        if (dev.is_cuda() && l.dim() == 4) l = l.channels_last();
        l = l.detach();
        l.set_requires_grad(true);
        return l;
      };
      Tensor x = leaf(x16), r = leaf(r16), g = leaf(g0), b = leaf(b0);
      Tensor rm = rm0.clone().to(dev), rv = rv0.clone().to(dev);
      Tensor y = batch_norm_act(x, g, b, rm, rv, true, k.act, 0.075, r);
      y.backward(dy.to(dev));
      auto cpu = [](const Tensor& t) { return t.defined() ? t.to(Device::cpu()) : Tensor(); };
      return Out{cpu(y), cpu(x.grad()), cpu(g.grad()), cpu(b.grad()),
                 r.defined() ? cpu(r.grad()) : Tensor(), cpu(rm), cpu(rv)};
    };
    const Out ref = run(Device::cpu()), got = run(Device::cuda());
    REQUIRE(got.y.dtype() == DType::F16);
    const double e_y = test::nmse(ref.y, got.y), e_dx = test::nmse(ref.dx, got.dx);
    const double e_dg = test::nmse(ref.dg, got.dg), e_db = test::nmse(ref.db, got.db);
    const std::string what = name_of(k.act) + (k.residual ? " + residual" : "");
    MESSAGE(shape_str(k.s), " ", what, " (", switches, "): NMSE y ", e_y, ", dx ", e_dx,
            ", dgamma ", e_dg, ", dbeta ", e_db);
    // Both round the same f32 math to f16 (an odd 1-ulp flip where sums were ordered
    // differently): NMSE ~1e-8; a wrong path is O(1).
    CHECK(e_y < 1e-5);
    CHECK(e_dx < 1e-4);
    CHECK(e_dg < 1e-5);
    CHECK(e_db < 1e-5);
    if (k.residual) CHECK(test::nmse(ref.dr, got.dr) < 1e-4);
    CHECK(rel_diff(ref.rm, got.rm) <= 1e-5);
    CHECK(rel_diff(ref.rv, got.rv) <= 1e-5);
  }
}
