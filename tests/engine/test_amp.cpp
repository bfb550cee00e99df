// Mixed precision: the differentiable cast, the autocast op policy (ss/amp.h) over every
// op in the table, and f16 against f32 on the same f16-representable inputs. On a GPU the
// same table is run through the native f16 CUDA kernels and compared with the CPU.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "op_table.h"
#include "ss/amp.h"
#include "ss/autograd.h"
#include "ss/kernels/runtime.h"
#include "ss/ops.h"

using namespace ss;

namespace {
using test::nmse;

bool is_float_input(const test::InputSpec& s) {
  return s.init != test::Init::Labels && s.init != test::Init::LabelsIgnore &&
         s.init != test::Init::Indices;
}

// Float inputs rounded to f16 (so f32 and f16 runs see identical values), as `dt`.
std::vector<Tensor> rounded_inputs(const test::OpCase& c, DType dt, Device dev) {
  auto v = test::make_inputs(c, DType::F32, Device::cpu(), 777);
  for (size_t i = 0; i < v.size(); ++i) {
    if (!is_float_input(c.inputs[i])) {
      v[i] = v[i].to(dev);
      continue;
    }
    v[i] = v[i].to(DType::F16).to(dt).to(dev);
    if (c.inputs[i].grad) v[i].set_requires_grad(true);
  }
  return v;
}

struct Run {
  Tensor out;
  std::vector<Tensor> grads;
};

// Output and input gradients for a seeded output gradient (given in f32, cast to the
// output's dtype as the op's consumer would send it).
Run run_case(const test::OpCase& c, std::vector<Tensor> in, bool autocast) {
  Run r;
  {
    AutocastGuard ac(autocast);
    r.out = c.fn(in);
  }
  Tensor g = Tensor::normal(r.out.shape(), 0, 1, 99).to(DType::F16).to(r.out.dtype());
  g = g.to(r.out.device());
  r.out.backward(g);
  for (size_t i = 0; i < in.size(); ++i)
    r.grads.push_back(c.inputs[i].grad ? in[i].grad() : Tensor());
  return r;
}

// The dtype the policy promises for an op fed f16 (or run under autocast).
bool keeps_half(const std::string& name) {
  for (const char* p : {"conv", "linear", "matmul", "batch_norm", "relu", "celu", "max_pool",
                        "global_avg_pool", "add", "sub", "mul", "scale", "reshape", "permute",
                        "transpose", "slice", "concat", "rot90"})
    if (name.rfind(p, 0) == 0) return true;
  return false;
}
bool autocasts(const std::string& name) {
  return name.rfind("conv", 0) == 0 || name.rfind("linear", 0) == 0 ||
         name.rfind("matmul", 0) == 0;
}
}  // namespace

TEST_CASE("cast rounds to binary16 and its gradient returns in the source dtype") {
  Tensor x = Tensor::from_vector<float>({1.0f, 1.0f + 1.0f / 4096, 300.f, 1e-8f}, {4});
  x.set_requires_grad(true);
  Tensor h = cast(x, DType::F16);
  CHECK(h.dtype() == DType::F16);
  auto v = h.to_vector<float>();
  CHECK(v[0] == 1.0f);
  CHECK(v[1] == 1.0f);  // 1 + 2^-12 is below half an f16 ulp at 1: rounds to even
  CHECK(v[2] == 300.f);
  CHECK(v[3] == 0.0f);  // below the smallest f16 subnormal (2^-24) / 2
  sum(mul(h, h)).backward();
  REQUIRE(x.grad().defined());
  CHECK(x.grad().dtype() == DType::F32);
  auto g = x.grad().to_vector<float>();
  CHECK(g[0] == 2.0f);
  CHECK(g[2] == 600.f);
  CHECK(cast(x, DType::F32).same(x));  // no-op cast is the same tensor
}

TEST_CASE("autocast: f32 parameters, f16 activations, f32 parameter gradients") {
  Tensor x = Tensor::normal({2, 3, 6, 6}, 0, 1, 1);
  Tensor w = Tensor::normal({4, 3, 3, 3}, 0, 0.3, 2).set_requires_grad(true);
  Tensor gamma = Tensor::ones({4}).set_requires_grad(true), beta = Tensor::zeros({4});
  Tensor rm = Tensor::zeros({4}), rv = Tensor::ones({4});
  Tensor y, loss;
  {
    AutocastGuard ac;
    CHECK(Autocast::enabled());
    y = celu(batch_norm(conv2d(x, w, {}, {1, 1, 1}), gamma, beta, rm, rv, true), 0.075);
    loss = mean(y);
  }
  CHECK_FALSE(Autocast::enabled());
  CHECK(y.dtype() == DType::F16);
  CHECK(loss.dtype() == DType::F32);
  CHECK(rm.dtype() == DType::F32);
  CHECK(rm.to_vector<float>()[0] != 0.0f);  // running stats updated through the f16 path
  loss.backward();
  REQUIRE(w.grad().defined());
  CHECK(w.grad().dtype() == DType::F32);
  CHECK(gamma.grad().dtype() == DType::F32);
}

TEST_CASE("every op accepts f16 inputs and follows the autocast policy") {
  int checked = 0;
  for (const auto& c : test::op_table()) {
    // The table's batch_norm rows make their running statistics in the input's dtype;
    // f16 activations with f32 statistics are covered by the autocast cases above/below.
    if (c.name.rfind("batch_norm", 0) == 0) continue;
    CAPTURE(c.name);
    Run ref = run_case(c, rounded_inputs(c, DType::F32, Device::cpu()), false);
    Run half = run_case(c, rounded_inputs(c, DType::F16, Device::cpu()), false);
    CHECK(half.out.dtype() == (keeps_half(c.name) ? DType::F16 : DType::F32));
    // One f16 rounding of the output (~2^-12 relative) plus, for convolutions and products,
    // rounded partial terms: NMSE ~1e-7..1e-6.
    CHECK(nmse(ref.out, half.out) < 1e-5);
    for (size_t i = 0; i < ref.grads.size(); ++i) {
      if (!ref.grads[i].defined()) continue;
      CAPTURE(i);
      REQUIRE(half.grads[i].defined());
      CHECK(half.grads[i].dtype() == DType::F16);  // a leaf's gradient has its dtype
      CHECK(nmse(ref.grads[i], half.grads[i]) < 1e-4);
    }
    ++checked;
  }
  CHECK(checked > 40);
}

TEST_CASE("autocast over the op table matches f32 within f16 rounding") {
  for (const auto& c : test::op_table()) {
    CAPTURE(c.name);
    Run ref = run_case(c, rounded_inputs(c, DType::F32, Device::cpu()), false);
    Run amp = run_case(c, rounded_inputs(c, DType::F32, Device::cpu()), true);
    if (autocasts(c.name)) CHECK(amp.out.dtype() == DType::F16);
    CHECK(nmse(ref.out, amp.out) < 1e-5);
    for (size_t i = 0; i < ref.grads.size(); ++i) {
      if (!ref.grads[i].defined()) continue;
      CAPTURE(i);
      REQUIRE(amp.grads[i].defined());
      CHECK(amp.grads[i].dtype() == DType::F32);  // f32 leaves get f32 gradients
      CHECK(nmse(ref.grads[i], amp.grads[i]) < 1e-4);
    }
  }
}

TEST_CASE("CUDA f16 kernels match the CPU's f16 computation") {
  if (!cuda_available()) {
    MESSAGE("CUDA f16 parity skipped: ", cuda::unavailable_reason());
    return;
  }
  // Also with channels-last GPU inputs: the NHWC kernels (cuDNN NHWC, the 1x1 filter
  // gradient as a GEMM, [rows, C] batch norm, 16-byte max-pool lanes) against the same CPU run.
  for (const bool nhwc : {false, true})
  for (const auto& c : test::op_table()) {
    CAPTURE(c.name);
    CAPTURE(nhwc);
    Run cpu = run_case(c, rounded_inputs(c, DType::F32, Device::cpu()), true);
    auto in = rounded_inputs(c, DType::F32, Device::cuda());
    for (auto& t : in) {
      if (!nhwc || t.dim() != 4 || !is_floating(t.dtype())) continue;
      const bool grad = t.requires_grad();
      t = t.detach().channels_last();
      t.set_requires_grad(grad);
    }
    Run gpu = run_case(c, in, true);
    CHECK(gpu.out.dtype() == cpu.out.dtype());
    // Both round the same f32 math to f16; accumulation order differs (tensor cores).
    CHECK(nmse(cpu.out, gpu.out) < 1e-5);
    for (size_t i = 0; i < cpu.grads.size(); ++i) {
      if (!cpu.grads[i].defined()) continue;
      CAPTURE(i);
      CHECK(nmse(cpu.grads[i], gpu.grads[i]) < 1e-4);
    }
  }
}
