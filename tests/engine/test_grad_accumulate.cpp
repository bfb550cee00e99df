// Gradients summed in place (autograd's grad_accumulator): a residual-style input whose
// other consumer's gradient is pending when the convolution's backward-data runs gets the
// convolution's gradient added into that pending sum (on CUDA by cuDNN's beta = 1). The
// reference is the sum of the two paths' gradients from separate graphs; a pending sum that
// anything else holds must never be offered (the convolution would write into its own dy).
#include <doctest/doctest.h>

#include "env_scope.h"
#include "op_table.h"
#include "ss/autograd.h"
#include "ss/kernels/runtime.h"
#include "ss/ops.h"

using namespace ss;

namespace {
enum class Other { Relu, Identity };

struct Inputs {
  Tensor x, w, R;
};
Inputs make(DType dt, Device dev, bool nhwc) {
  Inputs in{Tensor::normal({2, 8, 6, 6}, 0, 1, 11, 0, DType::F32),
            Tensor::normal({8, 8, 3, 3}, 0, 0.2, 12, 0, DType::F32),
            Tensor::normal({2, 8, 6, 6}, 0, 1, 13, 0, DType::F32)};
  for (Tensor* t : {&in.x, &in.w, &in.R}) {
    *t = t->to(dt).to(dev);
    if (nhwc) *t = t->channels_last();
  }
  in.x.set_requires_grad(true);
  return in;
}

// d/dx of sum((use_conv ? conv(h, w) : 0) + (use_other ? other(h) : 0)) * R), h = 1.5 x.
Tensor grad_x(const Inputs& in0, Other other, bool use_conv, bool use_other) {
  Inputs in = in0;
  in.x = in0.x.detach();
  in.x.set_requires_grad(true);
  const Tensor h = scale(in.x, 1.5);
  Tensor y;
  if (use_conv) y = conv2d(h, in.w, {}, {1, 1, 1});
  if (use_other) {
    const Tensor o = other == Other::Relu ? relu(h) : h;
    y = y.defined() ? add(y, o) : o;
  }
  sum(mul(y, in.R)).backward();
  return in.x.grad();
}

// Runs both paths together and apart; returns the in-place count of the joint sweep.
int64_t check(DType dt, Device dev, bool nhwc, Other other, double tol) {
  const Inputs in = make(dt, dev, nhwc);
  const int64_t before = grads_accumulated_in_place();
  const Tensor both = grad_x(in, other, true, true);
  const int64_t in_place = grads_accumulated_in_place() - before;
  const Tensor ref = add(grad_x(in, other, true, false), grad_x(in, other, false, true));
  const double e = test::nmse(ref.to(DType::F64).to(Device::cpu()),
                              both.to(DType::F64).to(Device::cpu()));
  CAPTURE(e);
  CHECK(e <= tol);
  return in_place;
}

}  // namespace

TEST_CASE("autograd: a convolution adds its input gradient into the pending sum in place") {
  // relu's gradient of h is pending (nothing else holds it) when the convolution's
  // backward runs: it is offered, used, and the sum equals the two paths' gradients.
  for (bool nhwc : {false, true}) {
    CAPTURE(nhwc);
    CHECK(check(DType::F64, Device::cpu(), nhwc, Other::Relu, 1e-28) == 1);
  }
  CHECK(check(DType::F32, Device::cpu(), false, Other::Relu, 1e-12) == 1);
}

TEST_CASE("autograd: a pending gradient that is also the rule's own incoming gradient is not offered") {
  // y = conv(h) + h: add hands the same tensor to h and to the convolution, so when the
  // convolution's backward runs h's pending sum IS its dy: adding into it would change dy
  // under the convolution. Not offered; the sum is still right.
  CHECK(check(DType::F64, Device::cpu(), false, Other::Identity, 1e-28) == 0);
  CHECK(grad_accumulator(0).defined() == false);  // outside a backward rule: nothing
}

TEST_CASE("autograd: a node reached twice by one shared gradient tensor sums both") {
  // add hands the same tensor to both its inputs; when both are the same non-leaf node, or
  // a pass-through rule returns that tensor again, the second arrival is the very tensor
  // already pending. It must be added, not taken for an in-place sum (d/dx below is 2, 2, 3).
  auto grad_of = [](auto f) {
    Tensor x = Tensor::normal({3, 4}, 0, 1, 5, 0, DType::F64);
    x.set_requires_grad(true);
    const Tensor y = add_scalar(x, 1.0);  // a non-leaf: its gradient is summed in the sweep
    const int64_t before = grads_accumulated_in_place();
    sum(f(y)).backward();
    CHECK(grads_accumulated_in_place() == before);
    return x.grad().to_vector<double>();
  };
  const auto v = [](double k) { return std::vector<double>(12, k); };
  CHECK(grad_of([](const Tensor& y) { return add(y, y); }) == v(2));
  CHECK(grad_of([](const Tensor& y) { return add(y, add_scalar(y, 0.0)); }) == v(2));
  CHECK(grad_of([](const Tensor& y) { return add(y, add(y, y)); }) == v(3));
}

TEST_CASE("CUDA conv backward-data accumulating into the pending gradient matches the CPU") {
  if (!cuda_available()) {
    MESSAGE("CUDA dgrad accumulation test skipped: ", cuda::unavailable_reason());
    return;
  }
  test::EnvScope on("SS_CONV_DGRAD_ACC", "1");
  struct Case {
    DType dt;
    bool nhwc;
    double tol;
  };
  for (const Case& c : {Case{DType::F32, false, 1e-10}, Case{DType::F32, true, 1e-10},
                        Case{DType::F16, true, 1e-5}}) {
    CAPTURE(dtype_name(c.dt));
    CAPTURE(c.nhwc);
    const Inputs gpu = make(c.dt, Device::cuda(), c.nhwc);
    const int64_t before = grads_accumulated_in_place();
    const Tensor got = grad_x(gpu, Other::Relu, true, true);
    CHECK(grads_accumulated_in_place() - before == 1);  // cuDNN's beta = 1 path ran
    // the CPU in f64 on the same (rounded) inputs
    Inputs cpu = make(c.dt, Device::cpu(), false);
    for (Tensor* t : {&cpu.x, &cpu.w, &cpu.R}) *t = t->to(DType::F64);
    cpu.x.set_requires_grad(true);
    const Tensor ref = grad_x(cpu, Other::Relu, true, true);
    const double e = test::nmse(ref, got.to(DType::F64).to(Device::cpu()));
    CAPTURE(e);
    CHECK(e <= c.tol);
  }
  // the same sweep with the switch off: the separate add, the same values
  test::EnvScope off("SS_CONV_DGRAD_ACC", "0");
  const Inputs gpu = make(DType::F32, Device::cuda(), true);
  const int64_t before = grads_accumulated_in_place();
  grad_x(gpu, Other::Relu, true, true);
  CHECK(grads_accumulated_in_place() == before);
}

TEST_CASE("autograd: a leaf takes a gradient nothing else holds without a copy, copies others") {
  auto leaf = [](uint64_t seed) {
    Tensor t = Tensor::normal({4, 5}, 0, 1, seed, 0, DType::F64);
    t.set_requires_grad(true);
    return t;
  };
  // mul gives each input a fresh gradient: both become the leaves' .grad as they are
  Tensor a = leaf(1), b = leaf(2);
  int64_t before = leaf_grads_taken();
  sum(mul(a, b)).backward();
  CHECK(leaf_grads_taken() - before == 2);
  CHECK(a.grad().to_vector<double>() == b.to_vector<double>());
  CHECK(b.grad().to_vector<double>() == a.to_vector<double>());
  // add hands one tensor to both inputs: each leaf must get its own copy
  Tensor c = leaf(3), d = leaf(4);
  before = leaf_grads_taken();
  sum(add(c, d)).backward();
  CHECK(leaf_grads_taken() == before);
  c.grad().fill_(7.0);
  CHECK(d.grad().to_vector<double>() == std::vector<double>(20, 1.0));
  // a gradient the caller passes in stays the caller's
  Tensor e = leaf(5);
  Tensor g = Tensor::ones({4, 5}, DType::F64);
  e.backward(g);
  g.fill_(3.0);
  CHECK(e.grad().to_vector<double>() == std::vector<double>(20, 1.0));
}
