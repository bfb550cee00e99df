// Dynamic loss scaling (ss/grad_scaler.h, kernels/amp.h) and the overflow skip of the
// optimisers, against closed-form expectations: unscaling by a power of two is exact, an
// Inf/NaN anywhere skips the whole step bit for bit, the scale follows torch's
// _amp_update_scale_ rule, the state survives a checkpoint.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <unistd.h>

#include "ss/grad_scaler.h"
#include "ss/io/safetensors.h"
#include "ss/kernels/amp.h"
#include "ss/ops.h"
#include "ss/optim.h"

using namespace ss;
namespace fs = std::filesystem;

namespace {
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Three f32 parameters of different sizes with seeded gradients of moderate magnitude.
std::vector<Tensor> params_with_grads(uint64_t seed) {
  std::vector<Tensor> ps;
  const Shape shapes[] = {{7, 5}, {3}, {4, 2, 3, 3}};
  uint64_t off = 0;
  for (const Shape& s : shapes) {
    Tensor p = Tensor::normal(s, 0, 1, seed, off);
    p.set_requires_grad(true);
    p.set_grad(Tensor::normal(s, 0, 100, seed + 1, off));
    off += 1000;
    ps.push_back(p);
  }
  return ps;
}

void set_grad_value(Tensor& p, int64_t i, float v) {
  Tensor g = p.grad();
  g.data<float>()[i] = v;
}

std::vector<uint32_t> bits(const Tensor& t) {
  std::vector<float> v = t.to_vector<float>();
  std::vector<uint32_t> b(v.size());
  std::memcpy(b.data(), v.data(), v.size() * sizeof(float));
  return b;
}

// One update of the scaler with a gradient that is finite or not.
void scaler_step(GradScaler& sc, optim::Optimizer& opt, Tensor& p, bool overflow) {
  p.set_grad(Tensor::full(p.shape(), overflow ? kInf : 1.0));
  sc.step(opt);
  sc.update();
}
}  // namespace

TEST_CASE("grad_scaler: unscale multiplies by 1/scale exactly and flags Inf/NaN in any buffer") {
  SUBCASE("finite gradients: exact powers of two, found_inf stays 0") {
    auto ps = params_with_grads(11);
    std::vector<std::vector<float>> before;
    for (auto& p : ps) before.push_back(p.grad().to_vector<float>());
    GradScaler sc(Device::cpu(), 1024.0);
    sc.unscale(ps);
    CHECK(sc.found_inf().item() == 0.0);
    for (size_t k = 0; k < ps.size(); ++k) {
      std::vector<float> after = ps[k].grad().to_vector<float>();
      for (size_t i = 0; i < after.size(); ++i) CHECK(after[i] == std::ldexp(before[k][i], -10));
    }
  }
  SUBCASE("an Inf or NaN in any one of three buffers sets found_inf") {
    for (size_t buf = 0; buf < 3; ++buf) {
      for (float bad : {kInf, -kInf, kNaN}) {
        CAPTURE(buf);
        CAPTURE(bad);
        auto ps = params_with_grads(12);
        set_grad_value(ps[buf], ps[buf].numel() - 1, bad);  // the last element of one buffer
        GradScaler sc(Device::cpu());
        sc.unscale(ps);
        CHECK(sc.found_inf().item() == 1.0);
      }
    }
  }
  SUBCASE("kernel: the flag is only ever set, never cleared by a later finite buffer") {
    std::vector<float> a = {1.f, kNaN, 4.f}, b = {8.f, -2.f};
    float* bufs[] = {a.data(), b.data()};
    const int64_t sizes[] = {3, 2};
    const float inv = 0.25f;
    float found = 0.f;
    cpu::unscale_and_check<float>(bufs, sizes, 2, &inv, &found);
    CHECK(found == 1.f);
    CHECK(a[0] == 0.25f);
    CHECK(std::isnan(a[1]));
    CHECK(b[0] == 2.f);
    CHECK(b[1] == -0.5f);
    float* second[] = {b.data()};
    cpu::unscale_and_check<float>(second, sizes + 1, 1, &inv, &found);
    CHECK(found == 1.f);
    CHECK(b[0] == 0.5f);
  }
  SUBCASE("each parameter is unscaled once per step") {
    auto ps = params_with_grads(13);
    GradScaler sc(Device::cpu());
    sc.unscale(ps);
    CHECK_THROWS_WITH_AS(sc.unscale({ps[1]}), doctest::Contains("already unscaled"), ss::Error);
  }
}

TEST_CASE("grad_scaler: an overflow step leaves parameters, Adam moments and the step count bit-identical") {
  auto ps = params_with_grads(21);
  std::vector<Tensor> ref;  // the same run without the skipped step, unscaled by hand
  for (auto& p : ps) ref.push_back(p.detach().clone().set_requires_grad(true));
  optim::Adam opt(ps, {1e-2, 0.8, 0.999, 1e-8, 1e-4});
  optim::Adam ref_opt(ref, {1e-2, 0.8, 0.999, 1e-8, 1e-4});
  GradScaler sc(Device::cpu(), 256.0);

  auto scaled_grads = [&](uint64_t seed) {  // gradients as a backward of loss * 256 leaves them
    auto g = params_with_grads(seed);
    for (size_t k = 0; k < ps.size(); ++k) {
      ps[k].set_grad(scale(g[k].grad(), 256.0));
      ref[k].set_grad(g[k].grad().clone());
    }
  };
  scaled_grads(100);
  sc.step(opt);
  sc.update();
  ref_opt.step();
  CHECK(opt.applied_steps_value() == 1);

  std::vector<std::vector<uint32_t>> p0, m0, v0;
  for (size_t k = 0; k < ps.size(); ++k) {
    p0.push_back(bits(ps[k])), m0.push_back(bits(opt.exp_avg()[k])), v0.push_back(bits(opt.exp_avg_sq()[k]));
  }
  scaled_grads(200);
  set_grad_value(ps[1], 0, kNaN);  // one bad value in one of three tensors
  set_grad_value(ps[2], 17, kInf);
  sc.step(opt);
  CHECK(sc.found_inf().item() == 1.0);
  for (size_t k = 0; k < ps.size(); ++k) {
    CAPTURE(k);
    CHECK(bits(ps[k]) == p0[k]);
    CHECK(bits(opt.exp_avg()[k]) == m0[k]);
    CHECK(bits(opt.exp_avg_sq()[k]) == v0[k]);
  }
  CHECK(opt.steps() == 2);               // the schedule's count moves on
  CHECK(opt.applied_steps_value() == 1);  // the bias-correction count does not
  sc.update();
  CHECK(sc.scale_value() == 128.0);

  // The next finite step is Adam's step 2 (bias correction t = 2), exactly as if the
  // skipped step had never happened.
  auto g = params_with_grads(300);
  for (size_t k = 0; k < ps.size(); ++k) {
    ps[k].set_grad(scale(g[k].grad(), 128.0));
    ref[k].set_grad(g[k].grad().clone());
  }
  sc.step(opt);
  sc.update();
  ref_opt.step();
  CHECK(opt.applied_steps_value() == 2);
  for (size_t k = 0; k < ps.size(); ++k) {
    CAPTURE(k);
    CHECK(bits(ps[k]) == bits(ref[k]));
    CHECK(bits(opt.exp_avg()[k]) == bits(ref_opt.exp_avg()[k]));
  }
}

TEST_CASE("grad_scaler: SGD skips too, and its first applied step still initialises the momentum") {
  Tensor p = Tensor::from_vector<float>({1.f, -2.f}, {2}).set_requires_grad(true);
  Tensor q = p.detach().clone().set_requires_grad(true);
  optim::SGD opt({p}, 0.5, 0.9), ref({q}, 0.5, 0.9);
  GradScaler sc(Device::cpu(), 4.0);
  p.set_grad(Tensor::from_vector<float>({kInf, 1.f}, {2}));
  sc.step(opt);  // skipped: nothing moves, buf stays unset
  sc.update();
  CHECK(p.to_vector<float>() == std::vector<float>{1.f, -2.f});
  CHECK(opt.applied_steps_value() == 0);
  // scale is now 2: gradients 2*[0.5, 1] unscale to [0.5, 1]
  p.set_grad(Tensor::from_vector<float>({1.f, 2.f}, {2}));
  q.set_grad(Tensor::from_vector<float>({0.5f, 1.f}, {2}));
  sc.step(opt);
  sc.update();
  ref.step();
  CHECK(p.to_vector<float>() == q.to_vector<float>());  // buf = g on the first applied step
  CHECK(p.to_vector<float>() == std::vector<float>{0.75f, -2.5f});
}

TEST_CASE("grad_scaler: the scale halves on overflow and doubles after growth_interval finite steps") {
  // Hand-computed sequence for init 8, growth 2, backoff 0.5, interval 3 (torch rule: the
  // tracker counts finite steps and resets on overflow and on growth).
  const bool overflow[] = {0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0};
  const double scale[] = {8, 8, 4, 4, 4, 8, 8, 8, 16, 8, 4, 4};
  const int tracker[] = {1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 0, 1};
  Tensor p = Tensor::zeros({3}).set_requires_grad(true);
  optim::SGD opt({p}, 0.0, 0.0);
  GradScaler sc(Device::cpu(), 8.0, 2.0, 0.5, 3);
  for (size_t i = 0; i < std::size(overflow); ++i) {
    CAPTURE(i);
    scaler_step(sc, opt, p, overflow[i]);
    CHECK(sc.scale_value() == scale[i]);
    CHECK(sc.state_dict().at("growth_tracker").to_vector<int32_t>()[0] == tracker[i]);
  }
  CHECK(opt.applied_steps_value() == 9);
  CHECK(opt.steps() == 12);

  SUBCASE("kernel: growth that would overflow f32 keeps the scale and still resets the tracker") {
    float s = std::ldexp(1.f, 127), inv = 0.f, found = 0.f;
    int32_t t = 1;
    cpu::update_scale(&s, &t, &found, 2.0, 0.5, 2, &inv);
    CHECK(s == std::ldexp(1.f, 127));
    CHECK(t == 0);
    CHECK(inv == std::ldexp(1.f, -127));
    found = 1.f;
    t = 1;
    cpu::update_scale(&s, &t, &found, 2.0, 0.5, 2, &inv);
    CHECK(s == std::ldexp(1.f, 126));
    CHECK(t == 0);
    CHECK(inv == std::ldexp(1.f, -126));
  }
  SUBCASE("update without a check since the last one is an error") {
    CHECK_THROWS_WITH_AS(sc.update(), doctest::Contains("no inf check"), ss::Error);
  }
}

TEST_CASE("grad_scaler: checkpoint round trip of the scale and growth tracker") {
  Tensor p = Tensor::zeros({2}).set_requires_grad(true);
  optim::SGD opt({p}, 0.0, 0.0);
  GradScaler a(Device::cpu(), 64.0, 2.0, 0.5, 4);
  for (bool o : {true, true, false, false, false}) scaler_step(a, opt, p, o);
  REQUIRE(a.scale_value() == 16.0);

  const fs::path dir = fs::temp_directory_path() / ("ss_scaler_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "ckpt.safetensors").string();
  io::TensorMap t;
  for (auto& [k, v] : a.state_dict()) t["scaler." + k] = v;
  io::save_safetensors(file, t);
  std::map<std::string, Tensor> loaded;
  for (auto& [k, v] : io::load_safetensors(file)) loaded[k.substr(7)] = v;
  fs::remove_all(dir);

  GradScaler b(Device::cpu(), 64.0, 2.0, 0.5, 4);
  b.load_state_dict(loaded);
  CHECK(b.scale_value() == 16.0);
  CHECK(b.state_dict().at("growth_tracker").to_vector<int32_t>()[0] == 3);
  // The restored scaler continues the sequence: one more finite step grows it, and the
  // next unscale uses the restored 1/16.
  Tensor q = Tensor::zeros({2}).set_requires_grad(true);
  optim::SGD opt_b({q}, 0.0, 0.0);
  scaler_step(a, opt, p, false);
  scaler_step(b, opt_b, q, false);
  CHECK(a.scale_value() == 32.0);
  CHECK(b.scale_value() == 32.0);
  q.set_grad(Tensor::full({2}, 64.0));
  b.unscale({q});
  CHECK(q.grad().to_vector<float>() == std::vector<float>{2.f, 2.f});

  SUBCASE("missing keys leave a fresh scaler; a disabled one has no state and passes through") {
    GradScaler fresh(Device::cpu(), 64.0);
    fresh.load_state_dict({});
    CHECK(fresh.scale_value() == 64.0);
    GradScaler off(Device::cpu(), 64.0, 2.0, 0.5, 4, false);
    CHECK(off.state_dict().empty());
    CHECK(off.scale_value() == 1.0);
    Tensor loss = sum(mul(q, q));
    CHECK(off.scale(loss).same(loss));
    Tensor r = Tensor::from_vector<float>({1.f}, {1}).set_requires_grad(true);
    optim::SGD sgd({r}, 0.5, 0.0);
    r.set_grad(Tensor::from_vector<float>({kInf}, {1}));
    off.step(sgd);  // no check: a plain step, Inf and all
    off.update();
    CHECK(std::isinf(r.to_vector<float>()[0]));
  }
  SUBCASE("a bad state is rejected with the key named") {
    GradScaler c(Device::cpu());
    CHECK_THROWS_WITH_AS(c.load_state_dict({{"scale", Tensor::full({1}, -1.0)}}),
                         doctest::Contains("'scale'"), ss::Error);
  }
}

TEST_CASE("grad_scaler: double precision, scaled-then-unscaled gradients equal the unscaled ones") {
  // conv -> relu -> pool -> linear -> cross-entropy in f64. Every backward op is linear in
  // the incoming gradient, so a power-of-two scale commutes with each rounding (exact); any
  // other scale agrees to f64 rounding times the f32-rounded 1/scale.
  auto make = [] {
    std::vector<Tensor> ps = {Tensor::normal({4, 3, 3, 3}, 0, 0.5, 5, 0, DType::F64),
                              Tensor::normal({4}, 0, 0.1, 5, 100, DType::F64),
                              Tensor::normal({5, 4}, 0, 0.5, 5, 200, DType::F64),
                              Tensor::normal({5}, 0, 0.1, 5, 300, DType::F64)};
    for (auto& p : ps) p.set_requires_grad(true);
    return ps;
  };
  const Tensor x = Tensor::normal({6, 3, 8, 8}, 0, 1, 9, 0, DType::F64);
  const Tensor y = Tensor::from_vector<int64_t>({0, 1, 2, 3, 4, 1}, {6});
  auto loss_of = [&](const std::vector<Tensor>& ps) {
    Tensor h = global_avg_pool(relu(conv2d(x, ps[0], ps[1], {1, 1, 1})));
    return cross_entropy(linear(h, ps[2], ps[3]), y);
  };
  std::vector<Tensor> plain = make();
  loss_of(plain).backward();
  for (double s : {65536.0, 1000.0}) {
    CAPTURE(s);
    std::vector<Tensor> ps = make();
    GradScaler sc(Device::cpu(), s);
    Tensor scaled = sc.scale(loss_of(ps));
    CHECK(scaled.item() == doctest::Approx(loss_of(plain).item() * s).epsilon(1e-14));
    scaled.backward();
    sc.unscale(ps);
    CHECK(sc.found_inf().item() == 0.0);
    for (size_t k = 0; k < ps.size(); ++k) {
      CAPTURE(k);
      std::vector<double> a = plain[k].grad().to_vector<double>(), b = ps[k].grad().to_vector<double>();
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        if (s == 65536.0)
          CHECK(b[i] == a[i]);
        else  // 1/1000 is rounded to f32 (as torch's inv_scale): that factor, to f64 rounding
          CHECK(b[i] == doctest::Approx(a[i] * (s * double(float(1.0 / s)))).epsilon(1e-13));
      }
    }
  }
}

// The schedule held by the optimiser (what a CUDA-graph replay relies on: its counter lives
// with the parameters) must give exactly the host loop's set_lr(s.at(steps())) before each
// step, with a skipped (overflow) step still advancing it, and resume at set_steps.
TEST_CASE("optimiser schedule: same steps as set_lr from the host, skipped steps advance it, resume") {
  const optim::WarmupLinearSchedule s{1e-2, 1e-4, 2, 6};
  for (const std::string which : {"adam", "sgd"}) {
    SUBCASE(which.c_str()) {
      auto make = [&](std::vector<Tensor> ps) -> std::unique_ptr<optim::Optimizer> {
        if (which == "adam") return std::make_unique<optim::Adam>(ps, optim::AdamOptions{1.0, 0.8, 0.999, 1e-8, 1e-4});
        return std::make_unique<optim::SGD>(ps, 1.0, 0.9, 1e-4);
      };
      auto pa = params_with_grads(5), pb = params_with_grads(5);
      auto host = make(pa), held = make(pb);
      held->set_schedule(s);
      GradScaler sa(Device::cpu(), 64.0), sb(Device::cpu(), 64.0);
      for (int step = 0; step < 8; ++step) {
        CAPTURE(step);
        auto g = params_with_grads(50 + uint64_t(step));
        if (step == 3) set_grad_value(g[1], 2, kInf);
        for (size_t k = 0; k < pa.size(); ++k) {
          pa[k].set_grad(g[k].grad().clone());
          pb[k].set_grad(g[k].grad().clone());
        }
        host->set_lr(s.at(host->steps()));
        sa.step(*host);
        sa.update();
        sb.step(*held);
        sb.update();
        CHECK(held->lr() == host->lr());
        CHECK(held->steps() == host->steps());
        for (size_t k = 0; k < pa.size(); ++k) CHECK(bits(pb[k]) == bits(pa[k]));
      }
      CHECK(held->applied_steps_value() == 7);
      CHECK(held->lr() == s.at(7));

      // A resumed optimiser continues the schedule at its step count.
      auto pc = params_with_grads(9);
      auto resumed = make(pc);
      resumed->set_steps(4);
      resumed->set_schedule(s);
      resumed->step();
      CHECK(resumed->lr() == s.at(4));
      CHECK(resumed->steps() == 5);
      // CUDA-graph bookkeeping: un-count a captured step, count replays.
      resumed->advance_host_steps(-1);
      CHECK(resumed->steps() == 4);
      CHECK(resumed->lr() == s.at(3));
      resumed->advance_host_steps(2);
      CHECK(resumed->lr() == s.at(5));
      // set_lr turns the schedule off.
      resumed->set_lr(0.5);
      resumed->step();
      CHECK(resumed->lr() == 0.5);
    }
  }
}
