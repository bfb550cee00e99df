// Channels-last (NHWC) activations: the layout helpers, and every op in the table fed NHWC
// inputs against the same op on NCHW inputs (double precision: only summation order may
// differ), plus the layout actually flowing through conv -> batch_norm -> celu -> add.
#include <doctest/doctest.h>

#include "op_table.h"
#include "ss/amp.h"
#include "ss/autograd.h"
#include "ss/kernels/runtime.h"
#include "ss/ops.h"

using namespace ss;

namespace {
using test::nmse;

struct Run {
  Tensor out;
  std::vector<Tensor> grads;
};

Run run(const test::OpCase& c, bool nhwc, DType dt = DType::F64, Device dev = Device::cpu()) {
  auto in = test::make_inputs(c, dt, dev, 31);
  for (size_t i = 0; i < in.size(); ++i) {
    if (!(nhwc && in[i].dim() == 4 && is_floating(in[i].dtype()))) continue;
    const bool grad = in[i].requires_grad();
    in[i] = in[i].detach().channels_last();  // an NHWC leaf
    in[i].set_requires_grad(grad);
  }
  Run r;
  r.out = c.fn(in);
  r.out.backward(Tensor::normal(r.out.shape(), 0, 1, 5, 0, dt, dev));
  for (size_t i = 0; i < in.size(); ++i)
    r.grads.push_back(c.inputs[i].grad ? in[i].grad() : Tensor());
  return r;
}
}  // namespace

TEST_CASE("channels-last layout helpers") {
  Tensor x = Tensor::normal({2, 3, 4, 5}, 0, 1, 1);
  Tensor c = x.channels_last();
  CHECK(c.is_channels_last());
  CHECK_FALSE(c.is_contiguous());
  CHECK(c.strides() == Shape{60, 1, 15, 3});
  CHECK(c.to_vector<float>() == x.to_vector<float>());  // same values, NCHW order out
  CHECK(c.clone().is_channels_last());
  CHECK(c.to(DType::F16).is_channels_last());
  CHECK(c.to(DType::F16).to_vector<float>() == x.to(DType::F16).to_vector<float>());
  CHECK(x.contiguous_like(c).is_channels_last());
  CHECK(c.contiguous_like(x).is_contiguous());
  CHECK(Tensor::empty_like(c).strides() == c.strides());
  // Both layouts at once when C == 1 or H == W == 1: not "strictly" channels-last.
  Tensor one = Tensor::zeros({2, 1, 3, 3});
  CHECK(one.is_channels_last());
  CHECK(one.is_contiguous());
}

TEST_CASE("every op gives the same values and gradients for NHWC inputs") {
  int nhwc_cases = 0;
  for (const auto& c : test::op_table()) {
    bool has4d = false;
    for (auto& s : c.inputs) has4d |= s.shape.size() == 4;
    if (!has4d) continue;
    CAPTURE(c.name);
    Run a = run(c, false), b = run(c, true);
    CHECK(nmse(a.out, b.out) < 1e-24);
    for (size_t i = 0; i < a.grads.size(); ++i) {
      if (!a.grads[i].defined()) continue;
      CAPTURE(i);
      REQUIRE(b.grads[i].defined());
      CHECK(nmse(a.grads[i], b.grads[i]) < 1e-24);
    }
    ++nhwc_cases;
  }
  CHECK(nhwc_cases >= 15);
}

TEST_CASE("channels-last flows through conv, batch norm, activations and the residual add") {
  Tensor x = Tensor::normal({4, 3, 8, 8}, 0, 1, 2);
  Tensor w1 = Tensor::normal({8, 3, 3, 3}, 0, 0.3, 3).set_requires_grad(true);
  Tensor w2 = Tensor::normal({8, 8, 3, 3}, 0, 0.2, 4).set_requires_grad(true);
  Tensor gamma = Tensor::ones({8}).set_requires_grad(true), beta = Tensor::zeros({8});
  auto net = [&](bool nhwc, std::vector<Tensor>* acts) {
    ChannelsLastGuard cl(nhwc);
    Tensor h = celu(batch_norm(conv2d(x, w1, {}, {1, 1, 1}), gamma, beta, {}, {}, true), 0.075);
    Tensor r = relu(batch_norm(conv2d(h, w2, {}, {1, 1, 1}), gamma, beta, {}, {}, true));
    Tensor y = add(h, r);
    if (acts) *acts = {h, r, y};
    return mean(global_avg_pool(y));
  };
  std::vector<Tensor> acts;
  Tensor l1 = net(true, &acts);
  for (auto& a : acts) CHECK(a.is_channels_last());
  for (auto& a : acts) CHECK_FALSE(a.is_contiguous());
  l1.backward();
  Tensor g1 = w1.grad().clone(), g2 = w2.grad().clone(), gg = gamma.grad().clone();
  CHECK(g1.is_contiguous());  // parameters keep their layout
  w1.set_grad({}), w2.set_grad({}), gamma.set_grad({});
  Tensor l0 = net(false, nullptr);
  l0.backward();
  CHECK(l1.item() == doctest::Approx(l0.item()).epsilon(1e-6));
  CHECK(nmse(w1.grad(), g1) < 1e-10);
  CHECK(nmse(w2.grad(), g2) < 1e-10);
  CHECK(nmse(gamma.grad(), gg) < 1e-10);
}

// The GPU's NHWC paths (cuDNN NHWC descriptors with KRSC filters, [rows, C] batch-norm
// reductions, NHWC max-pool) against the CPU's NCHW ops, f32, parity tolerance.
TEST_CASE("CUDA NHWC ops match the CPU's NCHW ops") {
  if (!cuda_available()) {
    MESSAGE("CUDA NHWC parity skipped: ", cuda::unavailable_reason());
    return;
  }
  for (const auto& c : test::op_table()) {
    bool has4d = false;
    for (auto& s : c.inputs) has4d |= s.shape.size() == 4;
    if (!has4d) continue;
    CAPTURE(c.name);
    Run a = run(c, false, DType::F32, Device::cpu()), b = run(c, true, DType::F32, Device::cuda());
    CHECK(nmse(a.out, b.out) < 1e-7);
    for (size_t i = 0; i < a.grads.size(); ++i) {
      if (!a.grads[i].defined()) continue;
      CAPTURE(i);
      REQUIRE(b.grads[i].defined());
      CHECK(nmse(a.grads[i], b.grads[i]) < 1e-7);
    }
  }
}
