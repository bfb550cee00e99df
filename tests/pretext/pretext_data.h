// A small real dataset for the pretext training tests: rendered once per test process
// with ss_render into a temporary directory that is removed at exit.
#pragma once
#include <omp.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "ss/render/dataset.h"

namespace ss::pretext::testing {

// The training tests run single-threaded: at width 0.125 and 32 px the engine's OpenMP
// regions are too small to gain from a second thread (whole suite 36 s on 1 thread vs
// 39 s on 2), and one thread is immune to CPU contention from other processes.
struct OneThread {
  int prev = omp_get_max_threads();
  OneThread() { omp_set_num_threads(1); }
  ~OneThread() { omp_set_num_threads(prev); }
};

struct RenderedData {
  std::filesystem::path dir;
  std::string path;
  RenderedData(int64_t count, int res, const std::string& bits = "0000") {
    dir = std::filesystem::temp_directory_path() / ("ss_pretext_" + bits + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    render::DatasetOptions o;
    o.bits = bits;
    o.count = count;
    o.res = res;
    o.seed = 7;
    o.out_dir = dir.string();
    o.contact_sheet = false;
    path = render::render_dataset(o).path;
  }
  ~RenderedData() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string run_dir(const std::string& name) const { return (dir / "runs" / name).string(); }
};

// Set 0100 (random colour: the class must come from shape, so a linear probe on random
// features is not already near its ceiling), 2400 images at 32 px: train 2000, valid 200,
// test 200 (N/12 each).
inline const RenderedData& small_data() {
  static RenderedData d(2400, 32, "0100");
  return d;
}

}  // namespace ss::pretext::testing
