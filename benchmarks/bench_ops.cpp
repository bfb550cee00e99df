// bench_ops: throughput of the engine's raw kernels at the ResNet9 shapes (64 px), side by
// side with PyTorch on the same device and thread count.
//
// Ops: conv forward / backward-data / backward-filter at every distinct ResNet9 conv3x3,
// GEMMs (conv-as-GEMM and the linear-head shapes), BatchNorm forward and backward.
// Timing: `warmup` untimed calls, then the median of `iters` timed calls (steady_clock; on
// CUDA the device is synchronised before each clock read). The PyTorch baseline
// (benchmarks/torch_ops.py) runs first, as one subprocess fed the exact case list, so the
// two never compete for cores; its lines are matched by name + shape.
//
// Output: one JSON line per measurement on stdout, then a summary line with the geometric
// mean of vs_baseline (= ours_gflops / torch_gflops = torch_ms / ours_ms) per op kind.
#include "ss/platform.h"
#include <omp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ss/allocator.h"
#include "ss/dtype.h"
#include "ss/kernels/bn.h"
#include "ss/kernels/conv.h"
#include "ss/kernels/gemm.h"
#include "ss/kernels/runtime.h"
#include "ss/tensor.h"

#if defined(SS_WITH_CUDA) && __has_include(<nvtx3/nvToolsExt.h>)
#include <nvtx3/nvToolsExt.h>
#define SS_BENCH_NVTX 1
#endif

extern "C" void openblas_set_num_threads(int);
extern "C" char* openblas_get_corename(void);

namespace {

using json = nlohmann::json;
using ss::ConvGeom;
using ss::Device;
using ss::Tensor;

struct Case {
  std::string name, shape;
  ConvGeom g{};                       // conv_*
  int M = 0, N = 0, K = 0;            // gemm: C[M,N] = op(A)[M,K] op(B)[K,N]
  bool ta = false, tb = false;
  int bn_n = 0, bn_c = 0, bn_h = 0;   // bn_*: [n, c, h, h]
  int batch = 0, res = 0;             // 0: not applicable (null in JSON)

  double flops() const {
    if (name.rfind("conv", 0) == 0) return 2.0 * g.macs();
    if (name == "gemm") return 2.0 * M * double(N) * K;
    return 0;
  }
  // Nominal memory traffic for BN: fwd reads x and writes y; bwd reads x, dy, writes dx.
  double bytes() const {
    const double numel = double(bn_n) * bn_c * bn_h * bn_h;
    if (name == "bn_fwd") return 2 * numel * 4;
    if (name == "bn_bwd") return 3 * numel * 4;
    return 0;
  }
  std::string key() const { return name + "|" + shape; }
  json spec() const {
    json j = {{"name", name}, {"shape", shape}};
    if (name.rfind("conv", 0) == 0)
      j.update({{"N", g.N}, {"C", g.C}, {"H", g.H}, {"W", g.W}, {"K", g.K}, {"R", g.R},
                {"S", g.S}, {"stride", g.stride_h}, {"pad", g.pad_h}});
    else if (name == "gemm")
      j.update({{"M", M}, {"N", N}, {"K", K}, {"ta", ta}, {"tb", tb}});
    else
      j.update({{"N", bn_n}, {"C", bn_c}, {"H", bn_h}, {"W", bn_h}});
    return j;
  }
};

std::string dims(std::initializer_list<int> d) {
  std::string s;
  for (int v : d) {
    if (!s.empty()) s += 'x';
    s += std::to_string(v);
  }
  return s;
}

// The table: keep in step with default_cases() in torch_ops.py (used when it runs alone).
std::vector<Case> make_cases(int batch) {
  std::vector<Case> cases;
  struct ConvShape { int C, K, H; };
  const ConvShape convs[] = {{3, 64, 64},    {64, 128, 64},  {128, 128, 32},
                             {128, 256, 32}, {256, 512, 16}, {512, 512, 8}};
  for (const auto& cs : convs) {
    ConvGeom g;
    g.N = batch, g.C = cs.C, g.H = cs.H, g.W = cs.H, g.K = cs.K, g.R = 3, g.S = 3;
    g.pad_h = g.pad_w = 1;
    const std::string shape =
        dims({g.N, g.C, g.H, g.W}) + "," + dims({g.K, g.C, g.R, g.S}) + ",1,1";
    for (const char* op : {"conv_fwd", "conv_bwd_data", "conv_bwd_filter"}) {
      Case c;
      c.name = op, c.shape = shape, c.g = g, c.batch = batch, c.res = 64;
      cases.push_back(c);
    }
  }
  struct GemmShape { int M, N, K; bool ta, tb; };
  const GemmShape gemms[] = {
      {512, 1024, 4608, false, false},    // conv-as-GEMM, layer3 BasicBlock (8x8, 16 images)
      {batch * 64, 256, 512, false, true},  // prepool_fc forward (per pixel on 8x8)
      {batch * 64, 512, 256, false, false}, // prepool_fc backward-data
      {256, 512, batch * 64, true, false},  // prepool_fc weight gradient
      {batch, 10, 256, false, true}};       // classification head
  for (const auto& gs : gemms) {
    Case c;
    c.name = "gemm", c.M = gs.M, c.N = gs.N, c.K = gs.K, c.ta = gs.ta, c.tb = gs.tb;
    c.shape = dims({gs.M, gs.N, gs.K}) + "," + (gs.ta ? "T" : "N") + (gs.tb ? "T" : "N");
    cases.push_back(c);
  }
  const int bns[][2] = {{64, 64}, {128, 32}, {256, 16}, {512, 8}};
  for (const auto& b : bns)
    for (const char* op : {"bn_fwd", "bn_bwd"}) {
      Case c;
      c.name = op, c.bn_n = batch, c.bn_c = b[0], c.bn_h = b[1];
      c.shape = dims({batch, b[0], b[1], b[1]});
      c.batch = batch, c.res = 64;
      cases.push_back(c);
    }
  return cases;
}

// Runs the prepared op on this device's buffers. Buffers live in `bufs` (Tensor keeps
// them alive and accounts for them in the caching allocator's peak).
struct Prepared {
  std::vector<Tensor> bufs;
  std::function<void()> run;
};

Tensor rnd(const ss::Shape& s, Device dev, uint64_t seed) {
  return Tensor::uniform(s, -1.0, 1.0, seed, 0, ss::DType::F32, dev);
}

Prepared prepare(const Case& c, Device dev) {
  Prepared p;
  const bool cuda = dev.is_cuda();
  (void)cuda;
  auto f = [](const Tensor& t) { return t.data<float>(); };
  if (c.name.rfind("conv", 0) == 0) {
    const ConvGeom g = c.g;
    Tensor x = rnd({g.N, g.C, g.H, g.W}, dev, 1), w = rnd({g.K, g.C, g.R, g.S}, dev, 2);
    Tensor y = rnd({g.N, g.K, g.P(), g.Q()}, dev, 3);
    p.bufs = {x, w, y};
    float *px = f(x), *pw = f(w), *py = f(y);
    if (c.name == "conv_fwd") {
      p.run = [=] {
#ifdef SS_WITH_CUDA
        if (cuda) return ss::cuda::conv2d_fwd(g, px, pw, py);
#endif
        ss::cpu::conv2d_fwd<float>(g, px, pw, py);
      };
    } else if (c.name == "conv_bwd_data") {
      p.run = [=] {
#ifdef SS_WITH_CUDA
        if (cuda) return ss::cuda::conv2d_bwd_data(g, py, pw, px);
#endif
        ss::cpu::conv2d_bwd_data<float>(g, py, pw, px);
      };
    } else {
      p.run = [=] {
#ifdef SS_WITH_CUDA
        if (cuda) return ss::cuda::conv2d_bwd_filter(g, px, py, pw);
#endif
        ss::cpu::conv2d_bwd_filter<float>(g, px, py, pw);
      };
    }
  } else if (c.name == "gemm") {
    const int M = c.M, N = c.N, K = c.K;
    const bool ta = c.ta, tb = c.tb;
    Tensor a = ta ? rnd({K, M}, dev, 1) : rnd({M, K}, dev, 1);
    Tensor b = tb ? rnd({N, K}, dev, 2) : rnd({K, N}, dev, 2);
    Tensor out = Tensor::zeros({M, N}, ss::DType::F32, dev);
    p.bufs = {a, b, out};
    const float *pa = f(a), *pb = f(b);
    float* pc = f(out);
    const int lda = ta ? M : K, ldb = tb ? K : N;
    p.run = [=] {
#ifdef SS_WITH_CUDA
      if (cuda) return ss::cuda::gemm(ta, tb, M, N, K, 1.f, pa, lda, pb, ldb, 0.f, pc, N);
#endif
      ss::cpu::gemm<float>(ta, tb, M, N, K, 1.f, pa, lda, pb, ldb, 0.f, pc, N);
    };
  } else {
    const int n = c.bn_n, C = c.bn_c, HW = c.bn_h * c.bn_h;
    const ss::Shape s = {n, C, c.bn_h, c.bn_h};
    Tensor x = rnd(s, dev, 1), dy = rnd(s, dev, 2), y = Tensor::empty(s, ss::DType::F32, dev);
    Tensor dx = Tensor::empty(s, ss::DType::F32, dev);
    Tensor gamma = Tensor::ones({C}, ss::DType::F32, dev);
    Tensor beta = Tensor::zeros({C}, ss::DType::F32, dev);
    Tensor rm = Tensor::zeros({C}, ss::DType::F32, dev), rv = Tensor::ones({C}, ss::DType::F32, dev);
    Tensor sm = Tensor::empty({C}, ss::DType::F32, dev), si = Tensor::empty({C}, ss::DType::F32, dev);
    Tensor dg = Tensor::empty({C}, ss::DType::F32, dev), db = Tensor::empty({C}, ss::DType::F32, dev);
    p.bufs = {x, dy, y, dx, gamma, beta, rm, rv, sm, si, dg, db};
    float *px = f(x), *pdy = f(dy), *py = f(y), *pdx = f(dx), *pg = f(gamma), *pb = f(beta);
    float *prm = f(rm), *prv = f(rv), *psm = f(sm), *psi = f(si), *pdg = f(dg), *pdb = f(db);
    auto fwd = [=] {
#ifdef SS_WITH_CUDA
      if (cuda)
        return ss::cuda::bn_fwd_train(px, n, C, HW, pg, pb, 1e-5f, 0.1f, prm, prv, py, psm, psi);
#endif
      ss::cpu::bn_fwd_train<float>(px, n, C, HW, pg, pb, 1e-5f, 0.1f, prm, prv, py, psm, psi);
    };
    if (c.name == "bn_fwd") {
      p.run = fwd;
    } else {
      fwd();  // save_mean / save_invstd for the backward
      p.run = [=] {
#ifdef SS_WITH_CUDA
        if (cuda) return ss::cuda::bn_bwd(px, pdy, n, C, HW, pg, psm, psi, true, pdx, pdg, pdb);
#endif
        ss::cpu::bn_bwd<float>(px, pdy, n, C, HW, pg, psm, psi, true, pdx, pdg, pdb);
      };
    }
  }
  return p;
}

// Process CPU time in ms: with --threads 1 on a busy machine it measures the work itself,
// not the time the process spent descheduled (with more threads it counts spin-waits).
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

double median_ms(const std::function<void()>& fn, int warmup, int iters, bool cuda,
                 bool cpu_clock) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < iters; ++i) {
    if (cuda) ss::cuda::synchronize();
    const auto t0 = clock::now();
    const double c0 = cpu_clock ? cpu_ms() : 0;
    fn();
    if (cuda) ss::cuda::synchronize();
    t.push_back(cpu_clock ? cpu_ms() - c0
                          : std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  const size_t m = t.size() / 2;
  return t.size() % 2 ? t[m] : 0.5 * (t[m - 1] + t[m]);
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

// Runs torch_ops.py once over all cases; returns its records keyed by name|shape. On any
// failure returns what it has and explains in `note` (never throws).
std::map<std::string, json> run_torch(const std::string& python, const std::string& script,
                                      const std::string& device, int threads, int warmup,
                                      int iters, bool cpu_clock,
                                      const std::vector<Case>& cases, std::string& note) {
  std::map<std::string, json> out;
  if (python == "none") {
    note = "torch baseline disabled (--torch none)";
    return out;
  }
  if (!std::filesystem::exists(script)) {
    note = "torch baseline skipped: " + script + " not found (see --torch-script)";
    return out;
  }
  json spec = json::array();
  for (const auto& c : cases) spec.push_back(c.spec());
  char tmpl[] = "/tmp/bench_ops_spec_XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) {
    note = "torch baseline skipped: cannot create a temp file";
    return out;
  }
  close(fd);
  std::ofstream(tmpl) << spec.dump();
  const std::string cmd = "OMP_NUM_THREADS=" + std::to_string(threads) + " " +
                          shell_quote(python) + " " + shell_quote(script) +
                          " --device " + device + " --threads " + std::to_string(threads) +
                          " --warmup " + std::to_string(warmup) + " --iters " +
                          std::to_string(iters) + (cpu_clock ? " --clock cpu" : "") +
                          " --spec " + tmpl;
  std::fflush(stdout);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) {
    note = "torch baseline skipped: popen failed";
    std::filesystem::remove(tmpl);
    return out;
  }
  std::string line;
  char buf[4096];
  std::string first_error;
  while (std::fgets(buf, sizeof buf, pipe)) {
    line += buf;
    if (line.empty() || line.back() != '\n') continue;
    if (line.front() == '{') {
      try {
        json j = json::parse(line);
        if (j.contains("error") && !j.contains("name")) {
          if (first_error.empty()) first_error = j["error"].get<std::string>();
        } else if (j.contains("name") && j.contains("shape")) {
          out[j["name"].get<std::string>() + "|" + j["shape"].get<std::string>()] = j;
        }
      } catch (const std::exception&) {
      }
    }
    line.clear();
  }
  const int status = pclose(pipe);
  std::filesystem::remove(tmpl);
  if (!first_error.empty())
    note = "torch baseline unavailable: " + first_error;
  else if (out.empty())
    note = "torch baseline unavailable: '" + python + "' produced no results (exit status " +
           std::to_string(status) + ")";
  else
    note = "torch via " + python;
  return out;
}

json num_or_null(double v) { return std::isfinite(v) && v > 0 ? json(v) : json(nullptr); }

}  // namespace

int main(int argc, char** argv) {
  ss::configure_process(argv);
  CLI::App app{"bench_ops: engine kernel throughput at the ResNet9 shapes vs PyTorch"};
  std::string device_s = "cpu", filter, torch_python, torch_script;
  int batch = 0, iters = 0, warmup = -1, threads = 0;
  std::string clock_s = "wall";
  bool quick = false;
  app.add_option("--device", device_s, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--batch", batch, "images per conv/BN call (default 32 cpu, 512 cuda; 2/64 quick)");
  app.add_option("--iters", iters, "timed iterations, median reported (default 5 cpu, 20 cuda)");
  app.add_option("--warmup", warmup, "untimed iterations first (default 2 cpu, 3 cuda, 1 quick)");
  app.add_option("--threads", threads, "CPU threads for OpenMP/OpenBLAS and torch (default: all)");
  app.add_option("--torch", torch_python,
                 "python with torch for the baseline, or 'none' (default /usr/bin/python3)");
  app.add_option("--torch-script", torch_script, "path to torch_ops.py");
  app.add_option("--filter", filter, "only cases whose 'name shape' contains this substring");
  app.add_option("--clock", clock_s,
                 "wall (default) or cpu: process CPU time, for --threads 1 on a busy machine")
      ->check(CLI::IsMember({"wall", "cpu"}));
  app.add_flag("--quick", quick, "small batch, few iterations: a smoke test (< 30 s)");
  CLI11_PARSE(app, argc, argv);

  try {
    const Device dev = Device::parse(device_s);
    const bool cuda = dev.is_cuda();
    if (cuda && !ss::cuda_available()) {
      std::fprintf(stderr, "bench_ops: --device cuda but no CUDA device: %s\n",
                   ss::cuda::unavailable_reason().c_str());
      return 1;
    }
    if (batch <= 0) batch = quick ? (cuda ? 64 : 2) : (cuda ? 512 : 32);
    if (iters <= 0) iters = quick ? 2 : (cuda ? 20 : 5);
    if (warmup < 0) warmup = quick ? 1 : (cuda ? 3 : 2);
    if (threads <= 0) threads = omp_get_max_threads();
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    if (torch_python.empty())
      torch_python = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    if (torch_script.empty()) torch_script = ss::source_dir() + "/benchmarks/torch_ops.py";

    std::vector<Case> cases;
    for (auto& c : make_cases(batch))
      if (filter.empty() || (c.name + " " + c.shape).find(filter) != std::string::npos)
        cases.push_back(c);

    std::string note;
    const bool cpu_clock = clock_s == "cpu";
    SS_CHECK(!(cpu_clock && cuda), "--clock cpu is for CPU runs only");
    const auto torch = run_torch(torch_python, torch_script, device_s, threads, warmup, iters,
                                 cpu_clock, cases, note);
    // OpenBLAS's DYNAMIC_ARCH picks its kernels from CPUID; on CPUs it does not recognise
    // (e.g. some virtualised Xeons) it falls back to SSE3 "Prescott" kernels, several times
    // slower. OPENBLAS_CORETYPE=SkylakeX (or Haswell) overrides; it must be set before start.
    const std::string blas_core = openblas_get_corename();
    std::fprintf(stderr, "bench_ops: %zu cases on %s, batch %d, %d threads, OpenBLAS core %s; %s\n",
                 cases.size(), cuda ? ss::cuda::device_name(dev.index).c_str() : "cpu", batch,
                 threads, blas_core.c_str(), note.c_str());
    if (blas_core == "Prescott" || blas_core == "Nehalem" || blas_core == "Core2")
      std::fprintf(stderr,
                   "bench_ops: warning: OpenBLAS chose its generic '%s' kernels; if this CPU has "
                   "AVX2/AVX-512 rerun with OPENBLAS_CORETYPE=Haswell or SkylakeX\n",
                   blas_core.c_str());

    auto& alloc = ss::CachingAllocator::for_device(dev);
    std::map<std::string, std::pair<double, int>> logsum;  // op -> (sum log ratio, count)
    double all_log = 0;
    int all_n = 0, errors = 0;
    for (const auto& c : cases) {
      json rec = {{"name", c.name},   {"shape", c.shape},
                  {"device", cuda ? "cuda" : "cpu"}, {"dtype", "f32"},
                  {"batch", c.batch ? json(c.batch) : json(nullptr)},
                  {"res", c.res ? json(c.res) : json(nullptr)}};
      try {
        alloc.empty_cache();
        alloc.reset_peak();
        double ms;
        {
          Prepared p = prepare(c, dev);
          if (cuda) ss::cuda::synchronize();
#ifdef SS_BENCH_NVTX
          nvtxRangePushA((c.name + " " + c.shape).c_str());
#endif
          ms = median_ms(p.run, warmup, iters, cuda, cpu_clock);
#ifdef SS_BENCH_NVTX
          nvtxRangePop();
#endif
        }
        const double gflops = c.flops() > 0 ? c.flops() / ms / 1e6 : 0;
        const double gbps = c.bytes() > 0 ? c.bytes() / ms / 1e6 : 0;
        rec["ms"] = ms;
        rec["gflops"] = num_or_null(gflops);
        rec["gbps"] = num_or_null(gbps);
        rec["img_per_s"] = c.batch ? json(c.batch / ms * 1e3) : json(nullptr);
        rec["peak_mem_mb"] = double(alloc.peak_bytes()) / (1 << 20);
        if (cuda) rec["device_peak_mb"] = double(ss::cuda::mem_used_peak()) / (1 << 20);
        rec["threads"] = threads;
        auto it = torch.find(c.key());
        if (it != torch.end() && it->second.contains("ms") && it->second["ms"].is_number()) {
          const double tms = it->second["ms"].get<double>();
          rec["torch_ms"] = tms;
          rec["torch_gflops"] = c.flops() > 0 ? json(c.flops() / tms / 1e6) : json(nullptr);
          rec["torch_gbps"] = c.bytes() > 0 ? json(c.bytes() / tms / 1e6) : json(nullptr);
          const double ratio = tms / ms;  // == ours_gflops / torch_gflops
          rec["vs_baseline"] = ratio;
          logsum[c.name].first += std::log(ratio);
          logsum[c.name].second += 1;
          all_log += std::log(ratio);
          ++all_n;
        } else {
          rec["torch_gflops"] = nullptr;
          rec["vs_baseline"] = nullptr;
          rec["note"] = it != torch.end() && it->second.contains("error")
                            ? "torch failed: " + it->second["error"].get<std::string>()
                            : note;
        }
      } catch (const std::exception& e) {
        rec["error"] = e.what();
        ++errors;
      }
      std::cout << rec.dump() << std::endl;
    }

    json geo = json::object(), count = json::object();
    for (const auto& [op, v] : logsum) {
      geo[op] = std::exp(v.first / v.second);
      count[op] = v.second;
    }
    json summary = {{"name", "summary"},
                    {"device", cuda ? "cuda" : "cpu"},
                    {"gpu", cuda ? json(ss::cuda::device_name(dev.index)) : json(nullptr)},
                    {"batch", batch},
                    {"threads", threads},
                    {"blas_core", blas_core},
                    {"iters", iters},
                    {"clock", clock_s},
                    {"cases", cases.size()},
                    {"errors", errors},
                    {"geomean_vs_baseline", geo},
                    {"count", count},
                    {"geomean_vs_baseline_all", all_n ? json(std::exp(all_log / all_n)) : json(nullptr)},
                    {"baseline", note}};
    std::cout << summary.dump() << std::endl;
    return errors ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_ops: %s\n", e.what());
    return 1;
  }
}
