// bench_alloc: the caching allocator's two backings (ss/allocator.h) on a training-step-like
// allocation pattern, in the same run: the cost of an allocate + release pair once the
// cache is warm, the live peak and what each backing holds from the system for it.
//
// The pattern is a ResNet's: per layer, a few small per-channel temporaries allocated and
// freed at once, and an activation kept for the backward; the backward frees the
// activations deepest first while it allocates each layer's input gradient (and frees the
// previous one). Activation sizes follow ResNet50 @128 px at the given batch (f16).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ss/allocator.h"
#include "ss/kernels/runtime.h"

using namespace ss;

namespace {

struct Layer {
  size_t act, grad, small;
};

// ResNet50 @128 px, no stem max-pool: 4 stages of bottlenecks at 64, 32, 16, 8 px.
std::vector<Layer> resnet50_like(int batch) {
  std::vector<Layer> ls;
  const int blocks[] = {3, 4, 6, 3}, width[] = {64, 128, 256, 512};
  int px = 64;
  auto add = [&](int c, int p, int in_c, int in_p) {
    const size_t hw = size_t(p) * p, in_hw = size_t(in_p) * in_p;
    ls.push_back({size_t(batch) * c * hw * 2, size_t(batch) * in_c * in_hw * 2, size_t(c) * 8});
  };
  add(64, 64, 3, 128);
  int in_c = 64;
  for (int s = 0; s < 4; ++s) {
    for (int b = 0; b < blocks[s]; ++b) {
      const int w = width[s], in_p = px;
      if (s > 0 && b == 0) px /= 2;
      add(w, in_p, in_c, in_p);
      add(w, px, w, in_p);
      add(4 * w, px, w, px);
      in_c = 4 * w;
    }
  }
  return ls;
}

struct Result {
  double ns_per_pair;
  size_t live_peak, reserved_peak;
};

Result run(CachingAllocator& a, const std::vector<Layer>& ls, int steps) {
  int64_t pairs = 0;
  auto one_step = [&] {
    std::vector<void*> acts;
    for (const Layer& l : ls) {
      for (int k = 0; k < 3; ++k) a.release(a.allocate(l.small));
      acts.push_back(a.allocate(l.act));
      pairs += 4;
    }
    void* g = nullptr;
    for (size_t i = ls.size(); i-- > 0;) {
      void* ng = a.allocate(ls[i].grad);
      if (g) a.release(g);
      a.release(acts[i]);
      g = ng;
      ++pairs;
    }
    a.release(g);
  };
  one_step();  // fills the cache
  a.reset_peak();
  pairs = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) one_step();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {1e9 * sec / double(pairs), a.peak_bytes(), a.peak_reserved()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_alloc: the caching allocator's heap and segments backings on a "
               "training-step allocation pattern, side by side"};
  std::string device_s = "cpu";
  int batch = 32, steps = 200;
  app.add_option("--device", device_s, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--batch", batch, "batch of the ResNet50 @128 px activation sizes");
  app.add_option("--steps", steps, "timed steps after one that fills the cache");
  CLI11_PARSE(app, argc, argv);
  const DeviceType type = device_s == "cuda" ? DeviceType::CUDA : DeviceType::CPU;
  if (type == DeviceType::CUDA && !cuda::vm_supported()) {
    std::fprintf(stderr, "bench_alloc: %s\n", cuda::vm_unsupported_reason().c_str());
    return 1;
  }
  const auto ls = resnet50_like(batch);
  std::vector<Result> rs;
  int rc = 0;
  for (auto backing : {CachingAllocator::Backing::Heap, CachingAllocator::Backing::Segments}) {
    nlohmann::json j{{"name", "allocator_step"},
                     {"device", device_s},
                     {"backing", backing == CachingAllocator::Backing::Heap ? "heap" : "segments"},
                     {"batch", batch},
                     {"layers", ls.size()}};
    Result r{};
    try {  // one backing's failure (out of memory, the VMM refusing) is a row, not the run
      CachingAllocator a(type, backing);
      r = run(a, ls, steps);
      a.empty_cache();
    } catch (const std::exception& e) {
      j["error"] = e.what();
      std::printf("%s\n", j.dump().c_str());
      std::fflush(stdout);
      rc = 1;
      continue;
    }
    rs.push_back(r);
    j.update({{"ns_per_alloc_release", r.ns_per_pair},
              {"live_peak_mb", double(r.live_peak) / 1048576.0},
              {"reserved_peak_mb", double(r.reserved_peak) / 1048576.0},
              {"reserved_over_live", double(r.reserved_peak) / double(r.live_peak)}});
    if (rs.size() == 2) {
      j["time_vs_heap"] = r.ns_per_pair / rs[0].ns_per_pair;
      j["reserved_vs_heap"] = double(r.reserved_peak) / double(rs[0].reserved_peak);
    }
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
  return rc;
}
