// Renderer throughput (issue 5): images per second of the full per-image pipeline
// (scene sampling, meshing, rasterisation, shading, LAB conversion, float16), for
// 64 px single-object and 128 px multi-object scenes, plus the end-to-end dataset
// writer (HDF5) and how cost scales with pixel count. One JSON line per measurement.
//   bench_render [--threads T] [--seconds S] [--sets 0000,1111]
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "ss/render/dataset.h"
#include "ss/render/scene.h"

using namespace ss::render;

namespace {
struct Timing {
  double img_per_s = 0, cpu_img_per_s = 0;
  int64_t images = 0;
};

// Renders batches until `seconds` have passed; returns wall and CPU-time throughput.
Timing measure(const std::string& bits, bool multi, int res, int threads, double seconds) {
  SceneConfig cfg{Factors::parse(bits), multi, 1, 1000000};
  const int64_t batch = multi ? 64 : 256;
  const size_t plane = size_t(res) * res;
  std::vector<uint16_t> data(size_t(batch) * 3 * plane);
  std::vector<uint8_t> dense(multi ? size_t(batch) * 3 * plane : 0);
  std::vector<int64_t> labels(batch);
  std::vector<double> rot(size_t(batch) * 9);
  void* targets = multi ? static_cast<void*>(dense.data()) : static_cast<void*>(labels.data());
  render_batch(cfg, res, 0, batch / 4, threads, data.data(), targets, rot.data());  // warm up
  auto t0 = std::chrono::steady_clock::now();
  std::clock_t c0 = std::clock();
  int64_t done = 0;
  double wall = 0;
  while (wall < seconds) {
    render_batch(cfg, res, done, batch, threads, data.data(), targets, multi ? nullptr : rot.data());
    done += batch;
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
  return {double(done) / wall, double(done) * threads / cpu, done};
}

void emit(const char* name, const std::string& bits, int res, bool multi, int threads, const Timing& t) {
  std::printf(
      "{\"name\":\"%s\",\"set\":\"%s\",\"res\":%d,\"multi\":%s,\"threads\":%d,\"images\":%lld,"
      "\"img_per_s\":%.1f,\"img_per_s_if_cpus_idle\":%.1f,\"device\":\"cpu\"}\n",
      name, bits.c_str(), res, multi ? "true" : "false", threads, (long long)t.images, t.img_per_s,
      t.cpu_img_per_s);
  std::fflush(stdout);
}
}  // namespace

int main(int argc, char** argv) {
  int threads = omp_get_max_threads();
  double seconds = 2.0;
  std::vector<std::string> sets = {"0000", "1111"};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--sets")) {
      sets.clear();
      std::stringstream ss(argv[i + 1]);
      for (std::string s; std::getline(ss, s, ',');) sets.push_back(s);
    }
  }
  for (const std::string& bits : sets) {
    Timing single = measure(bits, false, 64, threads, seconds);
    emit("render", bits, 64, false, threads, single);
    Timing multi = measure(bits, true, 128, threads, seconds);
    emit("render", bits, 128, true, threads, multi);
    // Pixel scaling: single-object at 32, 64 and 128 px (cost per image vs pixels).
    Timing r32 = measure(bits, false, 32, threads, seconds / 2);
    Timing r128 = measure(bits, false, 128, threads, seconds / 2);
    std::printf(
        "{\"name\":\"render_pixel_scaling\",\"set\":\"%s\",\"threads\":%d,\"img_per_s_32\":%.1f,"
        "\"img_per_s_64\":%.1f,\"img_per_s_128\":%.1f,\"cost_ratio_128_vs_64\":%.2f,"
        "\"cost_ratio_64_vs_32\":%.2f,\"pixel_ratio\":4}\n",
        bits.c_str(), threads, r32.cpu_img_per_s, single.cpu_img_per_s, r128.cpu_img_per_s,
        single.cpu_img_per_s / r128.cpu_img_per_s, r32.cpu_img_per_s / single.cpu_img_per_s);
  }
  // End to end: render_dataset into a temporary directory (HDF5 writes included).
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "ss_bench_render";
  std::filesystem::remove_all(dir);
  DatasetOptions o;
  o.bits = sets.back();
  o.count = 6000;
  o.out_dir = dir.string();
  o.threads = threads;
  o.contact_sheet = false;
  std::clock_t c0 = std::clock();
  DatasetResult r = render_dataset(o);
  double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
  emit("render_dataset_hdf5", o.bits, 64, false, threads,
       {double(r.rendered_now) / r.render_seconds, double(r.rendered_now) * threads / cpu, r.rendered_now});
  std::filesystem::remove_all(dir);
  return 0;
}
