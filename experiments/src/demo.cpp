#include "ss/exp/demo.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "ss/autograd.h"
#include "ss/io/atomic_file.h"
#include "ss/io/safetensors.h"
#include "ss/nn.h"
#include "ss/optim.h"
#include "ss/progress.h"
#include "ss/rng.h"

namespace ss::app {
namespace {

struct DemoOptions {
  int epochs = 12, train = 8000, test = 1000, batch = 64, res = 24;
  uint64_t seed = 1;
  std::string device = "cpu", out = "runs/demo";
};

constexpr int kClasses = 4;
const char* kNames[kClasses] = {"disc", "square", "triangle", "cross"};

// One image: a shape of class `cls` on a noisy background; returns CHW floats.
void draw_shape(int cls, int R, std::mt19937_64& rng, float* img) {
  std::uniform_real_distribution<float> U(0, 1);
  std::normal_distribution<float> N(0, 1);
  const float cx = R * (0.3f + 0.4f * U(rng)), cy = R * (0.3f + 0.4f * U(rng));
  const float s = R * (0.18f + 0.14f * U(rng));
  float fg[3], bg[3];
  for (int c = 0; c < 3; ++c) fg[c] = U(rng), bg[c] = U(rng);
  const float th = 6.2831853f * U(rng);
  const float ct = std::cos(th), st = std::sin(th);
  for (int y = 0; y < R; ++y)
    for (int x = 0; x < R; ++x) {
      const float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
      const float u = (ct * dx + st * dy) / s, v = (-st * dx + ct * dy) / s;
      bool in = false;
      switch (cls) {
        case 0: in = u * u + v * v < 1.0f; break;
        case 1: in = std::abs(u) < 0.8f && std::abs(v) < 0.8f; break;
        case 2: in = v > -0.7f && v < 0.9f && std::abs(u) < 0.55f * (0.9f - v); break;
        case 3: in = (std::abs(u) < 1.f && std::abs(v) < 0.3f) || (std::abs(v) < 1.f && std::abs(u) < 0.3f); break;
      }
      for (int c = 0; c < 3; ++c)
        img[(c * R + y) * R + x] = (in ? fg[c] : bg[c]) - 0.5f + 0.08f * N(rng);
    }
}

void make_set(int n, int R, uint64_t seed, std::vector<float>& x, std::vector<int64_t>& y) {
  std::mt19937_64 rng(seed);
  x.assign(size_t(n) * 3 * R * R, 0.f);
  y.resize(size_t(n));
  for (int i = 0; i < n; ++i) {
    y[i] = int64_t(i % kClasses);
    draw_shape(int(y[i]), R, rng, x.data() + size_t(i) * 3 * R * R);
  }
}

std::shared_ptr<nn::Sequential> make_model() {
  auto block = [](int cin, int cout, bool pool) {
    auto s = std::make_shared<nn::Sequential>();
    s->push_back(std::make_shared<nn::Conv2d>(cin, cout, 3, 1, 1));
    s->push_back(std::make_shared<nn::BatchNorm2d>(cout));
    s->push_back(std::make_shared<nn::ReLU>());
    if (pool) s->push_back(std::make_shared<nn::MaxPool2d>());
    return s;
  };
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      block(3, 16, true), block(16, 32, true), block(32, 64, false),
      std::make_shared<nn::GlobalAvgPool>(), std::make_shared<nn::Linear>(64, kClasses)});
}

Tensor batch_of(const std::vector<float>& x, int R, const std::vector<int>& idx, int b0, int nb,
                Device dev) {
  const size_t per = size_t(3) * R * R;
  std::vector<float> buf(per * nb);
  for (int i = 0; i < nb; ++i)
    std::copy_n(x.data() + per * idx[b0 + i], per, buf.data() + per * i);
  return Tensor::from_vector(buf, {nb, 3, R, R}, dev);
}

double evaluate(nn::Module& model, const std::vector<float>& x, const std::vector<int64_t>& y,
                int R, int batch, Device dev) {
  NoGradGuard ng;
  model.eval();
  std::vector<int> idx(y.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = int(i);
  int64_t correct = 0;
  for (int b0 = 0; b0 < int(y.size()); b0 += batch) {
    const int nb = std::min(batch, int(y.size()) - b0);
    std::vector<float> logits = model(batch_of(x, R, idx, b0, nb, dev)).to_vector<float>();
    for (int i = 0; i < nb; ++i) {
      int best = 0;
      for (int c = 1; c < kClasses; ++c)
        if (logits[i * kClasses + c] > logits[i * kClasses + best]) best = c;
      correct += best == y[b0 + i];
    }
  }
  model.train();
  return double(correct) / double(y.size());
}

void run_demo(const DemoOptions& o) {
  const Device dev = Device::parse(o.device);
  if (dev.is_cuda()) SS_CHECK(cuda_available(), "--device cuda: no CUDA device available");
  manual_seed(o.seed);
  std::vector<float> xtr, xte;
  std::vector<int64_t> ytr, yte;
  make_set(o.train, o.res, o.seed * 2 + 1, xtr, ytr);
  make_set(o.test, o.res, o.seed * 2 + 2, xte, yte);
  std::printf("demo: %d train / %d test images of %d shape classes (%s, %s, %s, %s) at %d px\n",
              o.train, o.test, kClasses, kNames[0], kNames[1], kNames[2], kNames[3], o.res);
  auto model = make_model();
  model->to(dev);
  std::printf("demo: CNN with %lld parameters on %s\n", (long long)model->num_parameters(),
              dev.str().c_str());
  optim::Adam opt(model->parameters(), {1e-3, 0.8, 0.999, 1e-8, 1e-4});
  const int steps_per_epoch = o.train / o.batch;
  optim::WarmupLinearSchedule sched{2e-3, 1e-6, steps_per_epoch, int64_t(steps_per_epoch) * o.epochs};
  std::printf("demo: chance accuracy %.3f, before training %.3f\n", 1.0 / kClasses,
              evaluate(*model, xte, yte, o.res, 256, dev));
  opt.set_schedule(sched);
  std::mt19937_64 rng(o.seed);
  nlohmann::json curve = nlohmann::json::array();
  double acc = 0;
  for (int ep = 1; ep <= o.epochs; ++ep) {
    std::vector<int> idx(o.train);
    for (int i = 0; i < o.train; ++i) idx[i] = i;
    std::shuffle(idx.begin(), idx.end(), rng);
    Progress bar("epoch " + std::to_string(ep) + "/" + std::to_string(o.epochs),
                 int64_t(steps_per_epoch) * o.batch);
    double loss_sum = 0;
    for (int s = 0; s < steps_per_epoch; ++s) {
      Tensor xb = batch_of(xtr, o.res, idx, s * o.batch, o.batch, dev);
      std::vector<int64_t> yb(o.batch);
      for (int i = 0; i < o.batch; ++i) yb[i] = ytr[idx[s * o.batch + i]];
      Tensor loss = cross_entropy((*model)(xb), Tensor::from_vector(yb, {o.batch}, dev));
      const double l = loss.item();
      SS_CHECK(std::isfinite(l), "demo: loss became ", l, " at step ", opt.steps());
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += l;
      char extra[64];
      std::snprintf(extra, sizeof extra, "loss %.3f", loss_sum / (s + 1));
      bar.update(int64_t(s + 1) * o.batch, extra);
    }
    bar.finish();
    acc = evaluate(*model, xte, yte, o.res, 256, dev);
    const double mean_loss = loss_sum / steps_per_epoch;
    std::printf("epoch %d: train loss %.4f, test accuracy %.3f, lr %.2e, %.0f img/s\n", ep,
                mean_loss, acc, opt.lr(), bar.rate());
    std::fflush(stdout);
    curve.push_back({{"epoch", ep}, {"train_loss", mean_loss}, {"test_accuracy", acc}});
  }
  std::filesystem::create_directories(o.out);
  io::save_safetensors(o.out + "/model.safetensors", model->state_dict(),
                       {{"format", "pt"}, {"model", "demo-cnn"}});
  nlohmann::json result = {{"test_accuracy", acc}, {"chance", 1.0 / kClasses},
                           {"epochs", o.epochs}, {"curve", curve}, {"device", dev.str()}};
  io::write_file_atomically(o.out + "/result.json", result.dump(2) + "\n");
  std::printf("demo: final test accuracy %.3f (chance %.3f); wrote %s/model.safetensors and "
              "result.json\n", acc, 1.0 / kClasses, o.out.c_str());
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Train a small CNN on procedurally drawn shapes (end-to-end check)");
  cmd->add_option("--epochs", o->epochs, "training epochs")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--train", o->train, "training images")->capture_default_str()->check(CLI::Range(64, 1000000));
  cmd->add_option("--test", o->test, "held-out images")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch", o->batch, "batch size")->capture_default_str()->check(CLI::Range(2, 4096));
  cmd->add_option("--seed", o->seed, "random seed")->capture_default_str();
  cmd->add_option("--device", o->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--out", o->out, "output directory")->capture_default_str();
  cmd->callback([o] { run_demo(*o); });
}

}  // namespace ss::app
