// Training-step throughput (forward + CE on class/pose heads + backward + Adam) and peak
// memory for ResNet9 / ResNet50, ours vs the same model in PyTorch (benchmarks/torch_train.py,
// same threads, batch and width) measured in the same run. One JSON line per config.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <omp.h>

#include "bench_util.h"
#include "ss/allocator.h"
#include "ss/kernels/runtime.h"
#include "ss/models/registry.h"
#include "ss/optim.h"
#include "ss/platform.h"
#include "ss/rng.h"

using namespace ss;
using nlohmann::json;

namespace {
struct Case {
  std::string arch;
  int res, batch;
  double width;
  std::string key() const {
    char b[96];
    std::snprintf(b, sizeof b, "%s:%d:%d:%g", arch.c_str(), res, batch, width);
    return b;
  }
};

// Training FLOPs per image (REFERENCE §7) scaled by width^2 and pixels.
double train_gflop(const Case& c) {
  const double base = c.arch.rfind("resnet9", 0) == 0 ? 9.1 : 2.0;
  return base * c.width * c.width * (c.res / 64.0) * (c.res / 64.0);
}

std::map<std::string, json> run_torch(const std::string& python, const std::vector<Case>& cases,
                                      int threads, int iters, const std::string& device) {
  if (python == "none") return {};
  std::string cmd = python + " " + SS_BENCH_DIR + "/torch_train.py --threads " +
                    std::to_string(threads) + " --iters " + std::to_string(iters) + " --device " + device;
  for (auto& c : cases) cmd += " --case " + c.key();
  return bench::json_lines_by(cmd, "case");
}
}  // namespace

int main(int argc, char** argv) {
  configure_process(argv);
  CLI::App app{"bench_train: training img/s and peak memory, ours vs PyTorch in the same run"};
  std::vector<std::string> specs;
  std::string device = "cpu", python = "/usr/bin/python3";
  int iters = 3, warmup = 1, threads = 0;
  app.add_option("--case", specs, "arch:res:batch:width (repeatable); default: resnet9:64, resnet50:64, resnet50:128");
  app.add_option("--device", device, "cpu or cuda")->capture_default_str();
  app.add_option("--iters", iters, "timed steps (median)")->capture_default_str();
  app.add_option("--warmup", warmup, "untimed steps")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (0 = OpenMP default)");
  app.add_option("--torch", python, "python with torch for the baseline, or none")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const Device dev = Device::parse(device);
  if (dev.is_cuda() && !cuda_available()) {
    std::fprintf(stderr, "bench_train: --device cuda but no CUDA device is available\n");
    return 1;
  }
  if (threads > 0) omp_set_num_threads(threads);
  const int nthreads = threads > 0 ? threads : omp_get_max_threads();
  std::vector<Case> cases;
  if (specs.empty()) {
    const bool gpu = dev.is_cuda();
    cases = {{"resnet9", 64, gpu ? 512 : 32, 1.0}, {"resnet50", 64, gpu ? 256 : 16, 1.0},
             {"resnet50", 128, gpu ? 96 : 8, 1.0}};
  }
  for (auto& s : specs) {
    Case c;
    char arch[64];
    SS_CHECK(std::sscanf(s.c_str(), "%63[^:]:%d:%d:%lf", arch, &c.res, &c.batch, &c.width) == 4,
             "--case '", s, "': expected arch:res:batch:width");
    c.arch = arch;
    cases.push_back(c);
  }
  auto torch = run_torch(python, cases, nthreads, iters, dev.is_cuda() ? "cuda" : "cpu");
  for (auto& c : cases) {
    manual_seed(0);
    models::ModelConfig mc;
    mc.arch = c.arch, mc.width = c.width, mc.out_feats = 256, mc.out_classes = {10, 5};
    auto model = models::make_model(mc);
    model->to(dev);
    optim::Adam opt(model->parameters(), {1e-3, 0.8, 0.999, 1e-8, 1e-4});
    Tensor x = Tensor::normal({c.batch, 3, c.res, c.res}, 0, 1, 1, 0, DType::F32, dev);
    std::vector<int64_t> y1(c.batch), y2(c.batch);
    for (int i = 0; i < c.batch; ++i) y1[i] = i % 10, y2[i] = i % 5;
    Tensor t1 = Tensor::from_vector(y1, {c.batch}, dev), t2 = Tensor::from_vector(y2, {c.batch}, dev);
    auto& alloc = CachingAllocator::for_device(dev);
    alloc.reset_peak();
    const double t = bench::median_seconds(warmup, iters, dev.is_cuda(), [&](int) {
      auto out = model->run(x);
      Tensor loss = add(cross_entropy(out.logits[0], t1), cross_entropy(out.logits[1], t2));
      opt.zero_grad();
      loss.backward();
      opt.step();
    });
    const double ips = c.batch / t;
    json j = {{"name", "train_step"}, {"arch", c.arch}, {"res", c.res}, {"batch", c.batch},
              {"width", c.width}, {"device", dev.str()}, {"dtype", "f32"}, {"threads", nthreads},
              {"img_per_s", ips}, {"ms", t * 1e3}, {"gflops", ips * train_gflop(c)},
              {"peak_mem_mb", double(alloc.peak_bytes()) / 1048576.0}};
    bench::add_baseline(j, torch, c.key(), ips);
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}
