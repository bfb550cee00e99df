// CPU <-> CUDA parity over the op table: same seeded inputs, f32 on both backends, outputs
// and input gradients compared by normalised mean squared error (as ggml's
// test-backend-ops). Without a GPU every row is skipped with one message.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "op_table.h"
#include "ss/grad_scaler.h"
#include "ss/kernels/runtime.h"
#include "ss/ops.h"
#include "ss/optim.h"

using namespace ss;

namespace {
double nmse(const std::vector<float>& ref, const std::vector<float>& got) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += (double(ref[i]) - got[i]) * (double(ref[i]) - got[i]);
    den += double(ref[i]) * ref[i];
  }
  return den > 0 ? num / den : num;
}
std::vector<uint32_t> bits(const Tensor& t) {
  std::vector<float> v = t.to_vector<float>();
  std::vector<uint32_t> b(v.size());
  std::memcpy(b.data(), v.data(), v.size() * sizeof(float));
  return b;
}
}  // namespace

TEST_CASE("CPU/CUDA parity for every op in the table") {
  if (!cuda_available()) {
    MESSAGE("CUDA parity skipped: ", cuda::unavailable_reason(), " (",
            test::op_table().size(), " ops in the table)");
    return;
  }
  const double tol = 1e-7;
  for (const auto& c : test::op_table()) {
    SUBCASE(c.name.c_str()) {
      auto xc = test::make_inputs(c, DType::F32, Device::cpu(), 4321);
      auto xg = test::make_inputs(c, DType::F32, Device::cuda(), 4321);
      Tensor yc = c.fn(xc), yg = c.fn(xg);
      REQUIRE(yc.shape() == yg.shape());
      const double e_out = nmse(yc.to_vector<float>(), yg.to_vector<float>());
      CHECK_MESSAGE(e_out < tol, c.name, ": output NMSE ", e_out);
      Tensor R = Tensor::normal(yc.shape(), 0, 1, 7, 0);
      sum(mul(yc, R)).backward();
      sum(mul(yg, R.to(Device::cuda()))).backward();
      for (size_t k = 0; k < xc.size(); ++k) {
        if (!c.inputs[k].grad) continue;
        REQUIRE(xg[k].grad().defined());
        const double e = nmse(xc[k].grad().to_vector<float>(), xg[k].grad().to_vector<float>());
        CHECK_MESSAGE(e < tol, c.name, ": grad of input ", k, " NMSE ", e);
      }
    }
  }
}

// Not differentiable, so not in the op table: 300 rows x 7 columns with ties on purpose
// (scores rounded to 0.5), labels in [0, 7).
TEST_CASE("CPU/CUDA parity: top1_accuracy") {
  if (!cuda_available()) {
    MESSAGE("CUDA top1_accuracy parity skipped: ", cuda::unavailable_reason());
    return;
  }
  std::vector<float> v(300 * 7);
  std::vector<int64_t> y(300);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(int((i * 2654435761u) % 9)) * 0.5f;
  for (size_t r = 0; r < y.size(); ++r) y[r] = int64_t((r * 40503u) % 7);
  Tensor s = Tensor::from_vector(v, {300, 7}), l = Tensor::from_vector(y, {300});
  const double cpu = top1_accuracy(s, l).item();
  CHECK(cpu > 0.0);
  CHECK(top1_accuracy(s.to(Device::cuda()), l.to(Device::cuda())).item() == cpu);
}

// Loss scaling on both backends: unscale (50 tensors: two fused launches on CUDA), the
// found_inf flag, the scale update and the overflow skip of the fused Adam/SGD, whose step
// count lives in device memory. Powers of two make unscaling exact, so results compare bit
// for bit. The CUDA optimiser takes its learning rate from the schedule it holds (evaluated
// in a kernel from a device counter), the CPU one from set_lr before each step.
TEST_CASE("CPU/CUDA parity: GradScaler and the overflow-skipping fused Adam and SGD") {
  if (!cuda_available()) {
    MESSAGE("CUDA loss-scaling parity skipped: ", cuda::unavailable_reason());
    return;
  }
  const Device cpu = Device::cpu(), gpu = Device::cuda();
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const std::string which : {"adam", "sgd"}) {
    SUBCASE(which.c_str()) {
      auto make = [](Device d) {
        std::vector<Tensor> ps;
        for (int k = 0; k < 50; ++k) {
          Tensor p = Tensor::normal({k * 37 + 1}, 0, 1, 3, uint64_t(k) * 10000).to(d);
          ps.push_back(p.set_requires_grad(true));
        }
        return ps;
      };
      std::vector<Tensor> pc = make(cpu), pg = make(gpu);
      std::unique_ptr<optim::Optimizer> oc, og;
      if (which == "adam") {
        oc = std::make_unique<optim::Adam>(pc, optim::AdamOptions{1e-2, 0.8, 0.999, 1e-8, 1e-4});
        og = std::make_unique<optim::Adam>(pg, optim::AdamOptions{1e-2, 0.8, 0.999, 1e-8, 1e-4});
      } else {
        oc = std::make_unique<optim::SGD>(pc, 0.1, 0.9, 1e-4);
        og = std::make_unique<optim::SGD>(pg, 0.1, 0.9, 1e-4);
      }
      GradScaler sc(cpu, 1024.0, 2.0, 0.5, 2), sg(gpu, 1024.0, 2.0, 0.5, 2);
      const optim::WarmupLinearSchedule sched{which == "adam" ? 1e-2 : 0.1, 1e-4, 2, 4};
      og->set_schedule(sched);
      for (int step = 0; step < 5; ++step) {
        CAPTURE(step);
        oc->set_lr(sched.at(oc->steps()));
        const bool overflow = step == 1 || step == 2;
        for (int k = 0; k < 50; ++k) {
          Tensor g = Tensor::normal(pc[size_t(k)].shape(), 0, 1000, 7 + uint64_t(step), uint64_t(k) * 10000);
          if (overflow && k == 49) g.data<float>()[k] = step == 1 ? inf : nan;
          pc[size_t(k)].set_grad(g);
          pg[size_t(k)].set_grad(g.to(gpu));
        }
        sc.step(*oc);
        sg.step(*og);
        CHECK(sc.found_inf().item() == (overflow ? 1.0 : 0.0));
        CHECK(sg.found_inf().item() == sc.found_inf().item());
        sc.update();
        sg.update();
        CHECK(sg.scale_value() == sc.scale_value());
        CHECK(og->applied_steps_value() == oc->applied_steps_value());
        CHECK(og->lr() == oc->lr());
        for (size_t k = 0; k < pc.size(); ++k) {
          CAPTURE(k);
          if (!overflow) CHECK(bits(pg[k].grad()) == bits(pc[k].grad()));
          CHECK(bits(pg[k]) == bits(pc[k]));
        }
      }
      CHECK(og->applied_steps_value() == 3);
      CHECK(og->steps() == 5);
      CHECK(sg.scale_value() == 512.0);  // 1024 -> 512 -> 256 (two overflows) -> 512 (2 finite)
      if (which == "adam") {
        auto& ac = static_cast<optim::Adam&>(*oc);
        auto& ag = static_cast<optim::Adam&>(*og);
        for (size_t k = 0; k < pc.size(); ++k) {
          CHECK(bits(ag.exp_avg()[k]) == bits(ac.exp_avg()[k]));
          CHECK(bits(ag.exp_avg_sq()[k]) == bits(ac.exp_avg_sq()[k]));
        }
      }
    }
  }
}
