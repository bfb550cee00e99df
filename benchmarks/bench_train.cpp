// Training-step throughput (forward + CE on class/pose heads + backward + Adam) and peak
// memory for ResNet9 / ResNet50, ours (fp32 and/or mixed precision) vs the same model in
// PyTorch (benchmarks/torch_train.py: eager fp32, eager AMP channels_last, torch.compile;
// same threads, batch and width) measured in the same run. One JSON line per measurement:
// the PyTorch ones ("impl":"torch") first, then ours ("impl":"ours") with the ratios.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <omp.h>
#include <set>
#include <sstream>

#include "bench_util.h"
#include "ss/allocator.h"
#include "ss/amp.h"
#include "ss/cuda_graph.h"
#include "ss/grad_scaler.h"
#include "ss/autograd.h"
#include "ss/kernels/runtime.h"
#include "ss/kernels/switches.h"
#include "ss/models/registry.h"
#include "ss/nvtx.h"
#include "ss/optim.h"
#include "ss/platform.h"
#include "ss/rng.h"

#ifdef SS_WITH_CUDA
#include <cuda_profiler_api.h>
namespace ss::cuda {
void reset_mem_peak();  // kernels/cuda/context.h (internal there): device peak := current
}
#endif

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

// Multiply-adds of every Conv2d / ConvTranspose2d / Linear module call it sees.
struct MacCounter : nn::CallObserver {
  double macs = 0;
  std::set<const nn::Module*> convs_seen;
  void on_call(const nn::Module& m, const Tensor& in, const Tensor& out) override {
    if (auto* c = dynamic_cast<const nn::Conv2d*>(&m)) {  // w[K,C,R,S]: C*R*S per output
      macs += double(out.numel()) * double(c->weight.numel() / c->weight.size(0));
      convs_seen.insert(&m);
    } else if (auto* t = dynamic_cast<const nn::ConvTranspose2d*>(&m)) {  // w[Cin,Cout,R,S]: per input
      macs += double(in.numel()) * double(t->weight.numel() / t->weight.size(0));
      convs_seen.insert(&m);
    } else if (auto* l = dynamic_cast<const nn::Linear*>(&m)) {
      macs += double(out.numel()) * double(l->weight.size(1));
    }
  }
};

size_t count_convs(const nn::Module& m) {
  size_t n = dynamic_cast<const nn::Conv2d*>(&m) || dynamic_cast<const nn::ConvTranspose2d*>(&m);
  for (auto& [name, child] : m.children()) n += count_convs(*child);
  return n;
}

// Training GFLOP per image from the model's actual layer shapes: one batch-1 forward
// (eval mode, no autograd) counts the conv/linear multiply-adds of every module call,
// plus prepool_fc and the heads (FeatureNet applies those as ops, not module calls).
// Convention: forward = 2 * MACs, training = 3 * forward (backward = data + weight grads).
double train_gflop_per_image(models::FeatureNet& model, const Case& c, Device dev) {
  MacCounter counter;
  model.eval();
  {
    NoGradGuard ng;
    Tensor x = Tensor::normal({1, 3, c.res, c.res}, 0, 1, 1, 0, DType::F32, dev);
    nn::Module::call_observer() = &counter;
    auto out = model.run(x);
    nn::Module::call_observer() = nullptr;
    counter.macs += double(out.feature_map.numel()) * double(model.prepool_fc().weight.size(1));
    for (size_t i = 0; i < out.logits.size(); ++i)
      counter.macs += double(out.logits[i].numel()) * double(model.heads().heads()[i]->weight.size(1));
  }
  model.train();
  // A layer called as conv->forward(x) instead of (*conv)(x) would be missed silently.
  const size_t convs = count_convs(model);
  if (counter.convs_seen.size() != convs)
    std::fprintf(stderr, "bench_train: warning: the FLOP count saw %zu of the model's %zu convolutions "
                 "(some forward bypasses Module::operator())\n", counter.convs_seen.size(), convs);
  return 3.0 * 2.0 * counter.macs / 1e9;
}

// fp16 dense tensor-core peak (TFLOP/s) from NVIDIA's datasheets; 0 when unknown.
double default_peak_tflops(const std::string& gpu) {
  const bool hopper = gpu.find("H100") != std::string::npos || gpu.find("H200") != std::string::npos;
  if (!hopper) return 0;
  if (gpu.find("PCIe") != std::string::npos) return 756;
  if (gpu.find("NVL") != std::string::npos) return 835;
  return 989;  // SXM / HBM3 parts and GH200
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string t; std::getline(ss, t, ',');)
    if (!t.empty()) out.push_back(t);
  return out;
}

std::map<std::string, json> run_torch(const std::string& python, const std::vector<Case>& cases,
                                      const std::vector<std::string>& modes, int threads,
                                      int iters, int warmup, const std::string& device) {
  if (python == "none" || modes.empty()) return {};
  std::string cmd = python + " " + source_dir() + "/benchmarks/torch_train.py --threads " +
                    std::to_string(threads) + " --iters " + std::to_string(iters) +
                    " --warmup " + std::to_string(warmup) + " --device " + device + " --modes ";
  for (size_t i = 0; i < modes.size(); ++i) cmd += (i ? "," : "") + modes[i];
  for (auto& c : cases) cmd += " --case " + c.key();
  return bench::json_lines_by(cmd, "key");
}

const json* torch_result(const std::map<std::string, json>& torch, const std::string& key) {
  auto it = torch.find(key);
  return it != torch.end() && it->second.contains("img_per_s") ? &it->second : nullptr;
}
}  // namespace

int main(int argc, char** argv) {
  configure_process(argv);
  CLI::App app{"bench_train: training img/s, TFLOP/s and peak memory, ours vs PyTorch in the same run"};
  std::vector<std::string> specs;
  std::string device = "cpu", python = "/usr/bin/python3", torch_modes_opt;
  int iters = -1, warmup = -1, threads = 0;
  bool amp = false, all = false, profile = false, nchw = false, cuda_graph = false;
  bool deterministic = false;
  std::string conv_algo = "benchmark";
  double peak_tflops = 0;
  app.add_option("--case", specs,
                 "arch:res:batch:width (repeatable); default CPU: resnet9:64:32:1, resnet50:64:16:1, "
                 "resnet50:128:8:1; CUDA: resnet9:64:512:1, resnet50:128:96:1");
  app.add_option("--device", device, "cpu or cuda")->capture_default_str();
  app.add_option("--iters", iters, "timed steps (median); default 3 CPU, 20 CUDA");
  app.add_option("--warmup", warmup, "untimed steps; default 1 CPU, 5 CUDA");
  app.add_option("--threads", threads, "CPU threads (0 = OpenMP default)");
  app.add_option("--torch", python, "python with torch for the baseline, or none")->capture_default_str();
  app.add_flag("--amp", amp, "ours in mixed precision (ss::AutocastGuard around forward + loss, fp32 parameters, dynamic loss scaling as PyTorch AMP's GradScaler)");
  app.add_flag("--cuda-graph", cuda_graph,
               "ours on CUDA: capture one training step as a CUDA graph and time its replays");
  app.add_flag("--nchw", nchw,
               "ours amp on CUDA in NCHW (default: channels-last activations, like PyTorch's AMP mode)");
  app.add_flag("--precision-all", all,
               "ours amp and fp32; PyTorch eager fp32, eager AMP channels_last and torch.compile");
  app.add_option("--torch-modes", torch_modes_opt,
                 "PyTorch modes, comma-separated subset of fp32,amp,compile (default: fp32 for ours "
                 "fp32, amp,compile for ours amp)");
  app.add_option("--peak-tflops", peak_tflops,
                 "GPU fp16 dense peak for pct_peak (default by GPU name: H100/H200 SXM 989, PCIe 756, NVL 835)");
  app.add_option("--conv-algo", conv_algo,
                 "CUDA: how cuDNN convolution algorithms are chosen: benchmark (timed on first use, "
                 "as the PyTorch baseline's cudnn.benchmark) or heuristic (cuDNN's ranking)")
      ->check(CLI::IsMember({"benchmark", "heuristic"}))
      ->capture_default_str();
  app.add_flag("--deterministic", deterministic,
               "CUDA: only cuDNN algorithms without atomics (the engine's default; the PyTorch "
               "baseline allows all)");
  app.add_flag("--profile", profile,
               "CUDA: cudaProfilerStart/Stop around our timed steps (nsys --capture-range=cudaProfilerApi)");
  CLI11_PARSE(app, argc, argv);
  const Device dev = Device::parse(device);
  const bool gpu = dev.is_cuda();
  if (gpu && !cuda_available()) {
    std::fprintf(stderr, "bench_train: --device cuda but no CUDA device is available\n");
    return 1;
  }
  cuda::set_conv_benchmark(conv_algo == "benchmark");
  cuda::set_deterministic(deterministic);
  if (iters < 0) iters = gpu ? 20 : 3;
  if (warmup < 0) warmup = gpu ? 5 : 1;
  SS_CHECK(iters >= 1, "--iters must be >= 1");
  if (threads > 0) omp_set_num_threads(threads);
  const int nthreads = threads > 0 ? threads : omp_get_max_threads();

  // Ours: amp first, so its device-memory peak is not raised by the fp32 run's cuDNN workspace.
  std::vector<std::string> ours = all ? std::vector<std::string>{"amp", "fp32"}
                                      : std::vector<std::string>{amp ? "amp" : "fp32"};
  std::vector<std::string> torch_modes;
  if (!torch_modes_opt.empty()) {
    torch_modes = split_commas(torch_modes_opt);
  } else {
    for (auto& p : ours) {
      if (p == "amp") torch_modes.insert(torch_modes.end(), {"amp", "compile"});
      else torch_modes.push_back("fp32");
    }
  }
  std::string gpu_name;
  json peak = nullptr;
  if (gpu) {
    gpu_name = cuda::device_name(0);
    if (peak_tflops <= 0) peak_tflops = default_peak_tflops(gpu_name);
    if (peak_tflops > 0) peak = peak_tflops;
    else
      std::fprintf(stderr, "bench_train: no fp16 peak known for '%s'; pass --peak-tflops to get pct_peak\n",
                   gpu_name.c_str());
  }
  auto pct_of_peak = [&](double tflops) -> json {
    return peak.is_null() ? json(nullptr) : json(100.0 * tflops / peak_tflops);
  };

  std::vector<Case> cases;
  if (specs.empty()) {
    cases = gpu ? std::vector<Case>{{"resnet9", 64, 512, 1.0}, {"resnet50", 128, 96, 1.0}}
                : std::vector<Case>{{"resnet9", 64, 32, 1.0}, {"resnet50", 64, 16, 1.0},
                                    {"resnet50", 128, 8, 1.0}};
  }
  for (auto& s : specs) {
    Case c;
    char arch[64];
    SS_CHECK(std::sscanf(s.c_str(), "%63[^:]:%d:%d:%lf", arch, &c.res, &c.batch, &c.width) == 4,
             "--case '", s, "': expected arch:res:batch:width");
    c.arch = arch;
    cases.push_back(c);
  }
  // PyTorch runs first, alone, so the two never share the device or the cores.
  auto torch = run_torch(python, cases, torch_modes, nthreads, iters, warmup, gpu ? "cuda" : "cpu");
  auto& alloc = CachingAllocator::for_device(dev);
  int failures = 0;
  for (auto& c : cases) {
    models::ModelConfig mc;
    mc.arch = c.arch, mc.width = c.width, mc.out_feats = 256, mc.out_classes = {10, 5};
    double gflop;
    {
      auto model = models::make_model(mc);
      model->to(dev);
      gflop = train_gflop_per_image(*model, c, dev);
    }
    std::fprintf(stderr, "bench_train: %s: %.4g training GFLOP/image (3 x 2 x conv/linear MACs)\n",
                 c.key().c_str(), gflop);
    for (auto& m : torch_modes) {
      auto it = torch.find(c.key() + "/" + m);
      if (it == torch.end()) continue;
      json j = it->second;
      j["train_gflop_per_img"] = gflop;
      j["peak_tflops"] = peak;
      if (j.contains("img_per_s")) {
        const double tf = j["img_per_s"].get<double>() * gflop / 1e3;
        j["tflops"] = tf;
        j["pct_peak"] = pct_of_peak(tf);
      }
      std::printf("%s\n", j.dump().c_str());
    }
    std::fflush(stdout);

    for (auto& prec : ours) {
      const bool use_amp = prec == "amp";
      const bool use_cl = use_amp && gpu && !nchw;  // on the CPU NHWC only adds conversions
      const bool use_graph = cuda_graph && gpu;
      // Non-default algorithm settings name the mode, so one table can hold both.
      const std::string mode = prec + (use_graph ? "_graph" : "") +
                               (gpu && conv_algo != "benchmark" ? "_" + conv_algo : "") +
                               (gpu && deterministic ? "_det" : "");
      json j = {{"name", "train_step"}, {"impl", "ours"}, {"case", c.key()}, {"mode", mode},
                {"key", c.key() + "/ours_" + mode}, {"arch", c.arch}, {"res", c.res},
                {"batch", c.batch}, {"width", c.width}, {"device", dev.str()},
                {"dtype", use_amp ? "f16 autocast (f32 params)" : "f32"},
                {"layout", use_cl ? "channels_last" : "nchw"}, {"cuda_graph", use_graph},
                {"conv_algo", gpu ? json(conv_algo) : json(nullptr)},
                {"switches", perf_switches_on()},
                {"deterministic", gpu ? json(deterministic) : json(nullptr)},
                {"threads", nthreads},
                {"gpu", gpu ? json(gpu_name) : json(nullptr)}, {"train_gflop_per_img", gflop},
                {"peak_tflops", peak}};
      try {
        manual_seed(0);
        auto model = models::make_model(mc);
        model->to(dev);
        optim::Adam opt(model->parameters(), {1e-3, 0.8, 0.999, 1e-8, 1e-4});
        // AMP steps carry dynamic loss scaling, as the PyTorch AMP baseline's GradScaler.
        GradScaler scaler(dev, 65536.0, 2.0, 0.5, 2000, use_amp);
        Tensor x = Tensor::normal({c.batch, 3, c.res, c.res}, 0, 1, 1, 0, DType::F32, dev);
        std::vector<int64_t> y1(c.batch), y2(c.batch);
        for (int i = 0; i < c.batch; ++i) y1[i] = i % 10, y2[i] = i % 5;
        Tensor t1 = Tensor::from_vector(y1, {c.batch}, dev), t2 = Tensor::from_vector(y2, {c.batch}, dev);
        // Earlier cases' cached blocks must not count towards this one's device peak.
        alloc.empty_cache();
        auto eager_step = [&] {
          nvtx::Range step("train_step");
          Tensor loss;
          {
            nvtx::Range r("forward");
            AutocastGuard autocast(use_amp);
            ChannelsLastGuard channels_last(use_cl);
            auto out = model->run(x);
            loss = add(cross_entropy(out.logits[0], t1), cross_entropy(out.logits[1], t2));
          }
          {
            nvtx::Range r("backward");
            scaler.scale(loss).backward();
          }
          nvtx::Range r("optimizer");
          scaler.step(opt);
          scaler.update();
          opt.zero_grad();
        };
        // --cuda-graph: two eager steps settle algorithms, workspace and Adam state, then one
        // step is captured and every timed step is a single graph launch.
        CudaGraph graph;
        size_t capture_peak = 0;  // a replay allocates nothing: the step's tensors are here
        if (use_graph) {
          for (int k = 0; k < 2; ++k) eager_step();
          // The eager steps' cached activation blocks are released: from here on the graph's
          // own pool holds the step's memory, and both staying reserved would double it.
          alloc.empty_cache();
          alloc.reset_peak();
          graph.capture(eager_step);
          capture_peak = alloc.peak_bytes();
        }
        const double t = bench::median_seconds(warmup, iters, gpu, [&](int i) {
          if (i == warmup) {  // steady-state peaks: Adam state and algorithm choice are settled
            alloc.reset_peak();
#ifdef SS_WITH_CUDA
            if (gpu) cuda::reset_mem_peak();
            if (gpu && profile) cudaProfilerStart();
#endif
          }
          if (use_graph)
            graph.replay();
          else
            eager_step();
        });
#ifdef SS_WITH_CUDA
        if (gpu && profile) cudaProfilerStop();
#endif
        const double ips = c.batch / t, tf = ips * gflop / 1e3;
        j.update({{"img_per_s", ips}, {"ms", t * 1e3}, {"gflops", tf * 1e3}, {"tflops", tf},
                  {"pct_peak", pct_of_peak(tf)},
                  {"peak_mem_mb", double(std::max(alloc.peak_bytes(), capture_peak)) / 1048576.0},
                  {"reserved_peak_mb", double(alloc.peak_reserved()) / 1048576.0}});
        if (gpu) j["device_peak_mb"] = double(cuda::mem_used_peak()) / 1048576.0;
        // the backing in force (SS_ALLOC=heap falls back to segments where the VMM is missing)
        j["alloc"] = alloc.backing() == CachingAllocator::Backing::Heap ? "heap" : "segments";
        // vs_baseline: PyTorch at the same precision (eager); vs_torch_<mode>: every mode run.
        // (skipped or failed PyTorch lines carry no img_per_s: no ratio)
        if (torch_result(torch, c.key() + "/" + prec)) bench::add_baseline(j, torch, c.key() + "/" + prec, ips);
        else j["vs_baseline"] = nullptr;
        for (auto& m : torch_modes) {
          const json* r = torch_result(torch, c.key() + "/" + m);
          j["vs_torch_" + m] = r ? json(ips / (*r)["img_per_s"].get<double>()) : json(nullptr);
        }
        if (const json* r = torch_result(torch, c.key() + "/" + prec)) {
          j["torch_peak_mem_mb"] = (*r)["peak_mem_mb"];
          j["torch_reserved_peak_mb"] = (*r)["reserved_peak_mb"];
        }
      } catch (const std::exception& e) {
        j["error"] = e.what();
        ++failures;
        std::fprintf(stderr, "bench_train: %s %s: %s\n", c.key().c_str(), prec.c_str(), e.what());
      }
      std::printf("%s\n", j.dump().c_str());
      std::fflush(stdout);
    }
  }
  return failures ? 1 : 0;
}
