// Pretraining-step throughput (forward + loss + backward + Adam) per pretext method on
// ResNet9, and the same step in PyTorch (benchmarks/torch_pretrain.py: the same model,
// batch, bank size, K and feature sizes as built below) on the same device, same run.
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
// bank_size / nce_k: what the loop below puts in MethodConfig (the CMC twin must match).
constexpr int64_t kBankSize = 4096, kNceK = 1024;

std::map<std::string, json> run_torch(const std::string& python, const std::string& device, int threads,
                                      int res, int batch, double width, int iters, int warmup,
                                      const std::vector<std::string>& methods) {
  if (python == "none") return {};
  std::string ms;
  for (const auto& m : methods) ms += (ms.empty() ? "" : ",") + m;
  char args[512];
  std::snprintf(args, sizeof args,
                " --device %s --threads %d --res %d --batch %d --width %g --iters %d --warmup %d"
                " --bank-size %lld --nce-k %lld --method %s",
                device.c_str(), threads, res, batch, width, iters, warmup, (long long)kBankSize,
                (long long)kNceK, ms.c_str());
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
  const auto torch = run_torch(python, dev.is_cuda() ? "cuda" : "cpu", nthreads, res, batch, width, iters,
                               warmup, methods);
  for (const auto& name : methods) {
    manual_seed(0);
    pretext::MethodConfig mc;
    mc.method = name;
    mc.model.arch = "resnet9";
    mc.model.width = width;
    mc.model.out_feats = name == "cmc" ? 128 : 256;
    mc.res = res;
    mc.bank_size = kBankSize;
    mc.nce_k = kNceK;
    auto method = pretext::make_method(mc);
    method->to(dev);
    optim::Adam opt(method->parameters(), {1e-3, 0.8, 0.999, 1e-8, 1e-5});
    data::Batch b;
    b.x = Tensor::normal({batch, 3, res, res}, 0, 1, 1, 0, DType::F32, dev);
    b.x2 = Tensor::normal({batch, 3, res, res}, 0, 1, 2, 0, DType::F32, dev);
    std::vector<int64_t> idx(batch);
    for (int i = 0; i < batch; ++i) idx[i] = i;
    b.index = Tensor::from_vector(idx, {batch}, dev);
    b.index_host = Tensor::from_vector(idx, {batch});  // as the loader provides it
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
    if (auto it = torch.find(name); it != torch.end() && it->second.contains("peak_mem_mb"))
      j["torch_peak_mem_mb"] = it->second["peak_mem_mb"];
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}
