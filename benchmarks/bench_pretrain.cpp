// Pretraining-step throughput (forward + loss + backward + Adam) per pretext method on
// ResNet9, and the same step in PyTorch CPU (benchmarks/torch_pretrain.py: rotation and
// VAE; CMC and AMDIM have no PyTorch twin yet, so their ratio is null) from the same run.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <omp.h>

#include "bench_util.h"
#include "ss/allocator.h"
#include "ss/data/loader.h"
#include "ss/kernels/runtime.h"
#include "ss/optim.h"
#include "ss/platform.h"
#include "ss/pretext/method.h"
#include "ss/rng.h"

using namespace ss;
using nlohmann::json;

namespace {
std::map<std::string, json> run_torch(const std::string& python, int threads, int res, int batch,
                                      double width, int iters) {
  if (python == "none") return {};
  char args[256];
  std::snprintf(args, sizeof args, " --threads %d --res %d --batch %d --width %g --iters %d", threads,
                res, batch, width, iters);
  return bench::json_lines_by(python + " " + source_dir() + "/benchmarks/torch_pretrain.py" + args, "method");
}
}  // namespace

int main(int argc, char** argv) {
  configure_process(argv);
  CLI::App app{"bench_pretrain: pretext-step img/s per method, ours vs PyTorch in the same run"};
  std::vector<std::string> methods = {"rotation", "vae", "cmc", "amdim"};
  std::string device = "cpu", python = "/usr/bin/python3";
  int res = 64, batch = 32, iters = 3, warmup = 1, threads = 0;
  double width = 0.25;
  app.add_option("--method", methods, "methods to run")->capture_default_str();
  app.add_option("--res", res, "image side")->capture_default_str();
  app.add_option("--batch", batch, "batch size")->capture_default_str();
  app.add_option("--width", width, "ResNet9 width multiplier")->capture_default_str();
  app.add_option("--iters", iters, "timed steps (median)")->capture_default_str();
  app.add_option("--warmup", warmup, "untimed steps")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (0 = OpenMP default)");
  app.add_option("--device", device, "cpu or cuda")->capture_default_str();
  app.add_option("--torch", python, "python with torch for the baseline, or none")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const Device dev = Device::parse(device);
  if (dev.is_cuda() && !cuda_available()) {
    std::fprintf(stderr, "bench_pretrain: --device cuda but no CUDA device is available\n");
    return 1;
  }
  if (threads > 0) omp_set_num_threads(threads);
  const int nthreads = threads > 0 ? threads : omp_get_max_threads();
  auto torch = dev.is_cpu() ? run_torch(python, nthreads, res, batch, width, iters) : std::map<std::string, json>{};
  for (const auto& name : methods) {
    manual_seed(0);
    pretext::MethodConfig mc;
    mc.method = name;
    mc.model.arch = "resnet9";
    mc.model.width = width;
    mc.model.out_feats = name == "cmc" ? 128 : 256;
    mc.res = res;
    mc.bank_size = 4096;
    mc.nce_k = 1024;
    auto method = pretext::make_method(mc);
    method->to(dev);
    optim::Adam opt(method->parameters(), {1e-3, 0.8, 0.999, 1e-8, 1e-5});
    data::Batch b;
    b.x = Tensor::normal({batch, 3, res, res}, 0, 1, 1, 0, DType::F32, dev);
    b.x2 = Tensor::normal({batch, 3, res, res}, 0, 1, 2, 0, DType::F32, dev);
    std::vector<int64_t> idx(batch);
    for (int i = 0; i < batch; ++i) idx[i] = i;
    b.index = Tensor::from_vector(idx, {batch}, dev);
    auto& alloc = CachingAllocator::for_device(dev);
    alloc.reset_peak();
    const double t = bench::median_seconds(warmup, iters, dev.is_cuda(), [&](int i) {
      auto out = method->step(b, i);
      opt.zero_grad();
      out.loss.backward();
      opt.step();
    });
    const double ips = batch / t;
    json j = {{"name", "pretrain_step"}, {"method", name}, {"arch", "resnet9"}, {"width", width},
              {"res", res}, {"batch", batch}, {"device", dev.str()}, {"threads", nthreads},
              {"img_per_s", ips}, {"peak_mem_mb", double(alloc.peak_bytes()) / 1048576.0}};
    bench::add_baseline(j, torch, name, ips);
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}
