// Dataset orchestration: parallel batch rendering (OpenMP, one Renderer per thread),
// chunked resumable HDF5 output, the contact sheet.
#include "ss/render/dataset.h"

#include <omp.h>
#include <sys/statvfs.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>

#include "dataset_file.h"
#include "ss/kernels/error.h"
#include "ss/render/contact_sheet.h"
#include "ss/render/half.h"
#include "ss/render/lab.h"
#include "ss/render/renderer.h"

namespace fs = std::filesystem;

namespace ss::render {

namespace {
volatile std::sig_atomic_t g_stop = 0;

Renderer& thread_renderer(int res) {
  thread_local std::unique_ptr<Renderer> r;
  if (!r || r->res() != res) r = std::make_unique<Renderer>(res);
  return *r;
}

void render_one(const SceneConfig& cfg, int res, int64_t index, uint16_t* data, void* targets,
                int64_t slot, double* rot, std::vector<float>& rgb, std::vector<float>& lab) {
  const size_t plane = size_t(res) * res;
  Renderer& r = thread_renderer(res);
  Scene sc = sample_scene(cfg, index);
  if (cfg.multi) {
    uint8_t* t = static_cast<uint8_t*>(targets) + size_t(slot) * 3 * plane;
    LabelPlanes lp{t, t + plane, t + 2 * plane};
    r.render(sc, rgb.data(), &lp);
  } else {
    r.render(sc, rgb.data());
    static_cast<int64_t*>(targets)[slot] = sc.objects[0].cls;
    if (rot)
      for (int i = 0; i < 9; ++i) rot[slot * 9 + i] = double(sc.objects[0].rot.m[i / 3][i % 3]);
  }
  linear_rgb_to_normalized_lab(rgb.data(), lab.data(), plane);
  floats_to_halves(lab.data(), data + size_t(slot) * 3 * plane, 3 * plane);
}

uint64_t free_bytes(const std::string& dir) {
  struct statvfs st;
  if (statvfs(dir.c_str(), &st) != 0) return UINT64_MAX;
  return uint64_t(st.f_bavail) * st.f_frsize;
}
}  // namespace

void request_stop() { g_stop = 1; }
void clear_stop() { g_stop = 0; }

void render_batch(const SceneConfig& cfg, int res, int64_t start, int64_t n, int threads,
                  uint16_t* data, void* targets, double* rot) {
  const size_t plane = size_t(res) * res;
  std::exception_ptr error;
  std::mutex mu;
  int nt = threads > 0 ? threads : omp_get_max_threads();
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    std::vector<float> rgb(3 * plane), lab(3 * plane);
#pragma omp for schedule(dynamic, 4)
    for (int64_t i = 0; i < n; ++i) {
      try {
        render_one(cfg, res, start + i, data, targets, i, rot, rgb, lab);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

std::string dataset_path(const DatasetOptions& o) {
  return (fs::path(o.out_dir) / o.bits / ("data_" + std::to_string(o.res) + "_lab.h5")).string();
}
std::string partial_path(const DatasetOptions& o) { return dataset_path(o) + ".partial"; }

namespace {
std::string sheet_path(const DatasetOptions& o) {
  return (fs::path(o.out_dir) / o.bits / ("contact_" + std::to_string(o.res) + ".png")).string();
}

void validate(const DatasetOptions& o) {
  Factors::parse(o.bits);
  SS_CHECK(o.count > 0, "--count must be positive (got ", o.count, ")");
  SS_CHECK(o.res >= 8 && o.res <= 512, "--res must be in [8, 512] (got ", o.res, ")");
  SS_CHECK(!o.out_dir.empty(), "--out must name a directory");
  SS_CHECK(o.threads >= 0, "--threads must be >= 0 (got ", o.threads, ")");
}

// Returns true when `path` is a complete dataset with exactly these settings.
bool is_complete(const std::string& path, const DatasetMeta& want, std::string& why) {
  try {
    h5::Reader r(path);
    DatasetMeta have;
    if (!DatasetMeta::read(r.file(), have)) {
      why = "it has no renderer settings recorded";
      return false;
    }
    why = want.diff(have);
    if (!why.empty()) return false;
    if (!h5::has_attr(r.file(), "complete") || h5::read_attr_i64(r.file(), "complete") != 1) {
      why = "it is not marked complete";
      return false;
    }
    return true;
  } catch (const Error& e) {
    why = e.what();
    return false;
  }
}
}  // namespace

DatasetResult render_dataset(const DatasetOptions& o, const ProgressFn& progress, const NoteFn& note_fn) {
  validate(o);
  h5::silence_errors();
  auto t0 = std::chrono::steady_clock::now();
  DatasetResult res;
  res.path = dataset_path(o);
  const fs::path dir = fs::path(res.path).parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  SS_CHECK(!ec && fs::is_directory(dir), "cannot create output directory '", dir.string(), "': ",
           ec ? ec.message() : "not a directory");
  const DatasetMeta meta = DatasetMeta::from(o);

  if (fs::exists(res.path)) {
    std::string why;
    if (is_complete(res.path, meta, why)) {
      res.already_complete = true;
      if (o.contact_sheet && !fs::exists(sheet_path(o))) res.sheet = write_contact_sheet(res.path, sheet_path(o));
      return res;
    }
    SS_CHECK(o.force, "'", res.path, "' already exists but does not match this request (", why,
             "); pass --force to re-render it");
    fs::remove(res.path);
  }

  std::string note;
  std::unique_ptr<DatasetFile> file_ptr;
  try {
    file_ptr = std::make_unique<DatasetFile>(partial_path(o), meta, note);
  } catch (const Error& e) {
    std::error_code rm;
    fs::remove(partial_path(o), rm);
    throw Error(std::string(e.what()) + " (disk full or output not writable?)");
  }
  DatasetFile& file = *file_ptr;
  res.resumed_from = file.rendered();
  if (note_fn && !note.empty()) note_fn(o.bits + ": " + note);

  // Images per resumable chunk: ~24 MB of data, a multiple of the HDF5 chunk.
  const int64_t R = o.res, img_bytes = 3 * R * R * 2 + (o.multi ? 3 * R * R : 8 + 72);
  int64_t hc = file.hdf5_chunk_images();
  int64_t chunk = o.chunk > 0 ? o.chunk : std::max<int64_t>(hc, ((24 << 20) / img_bytes) / hc * hc);
  chunk = std::min(chunk, o.count);

  // Refuse early when the disk clearly cannot hold the rest.
  uint64_t need = uint64_t(o.count - file.rendered()) * uint64_t(img_bytes);
  uint64_t avail = free_bytes(dir.string());
  if (avail < need + (1 << 20)) {
    file.discard();
    char buf[96];
    std::snprintf(buf, sizeof buf, "need ~%.1f MB, %.1f MB free", double(need) / 1e6, double(avail) / 1e6);
    SS_FAIL("not enough space in '", dir.string(), "' for ", o.bits, ": ", buf);
  }

  SceneConfig cfg{Factors::parse(o.bits), o.multi, o.seed, o.count};
  std::vector<uint16_t> data(size_t(chunk) * 3 * R * R);
  std::vector<uint8_t> dense(o.multi ? size_t(chunk) * 3 * R * R : 0);
  std::vector<int64_t> labels(o.multi ? 0 : size_t(chunk));
  std::vector<double> rot(o.multi ? 0 : size_t(chunk) * 9);
  auto r0 = std::chrono::steady_clock::now();
  while (file.rendered() < o.count) {
    if (g_stop || (o.stop_after >= 0 && file.rendered() >= o.stop_after)) {
      res.interrupted = true;
      break;
    }
    int64_t start = file.rendered(), n = std::min(chunk, o.count - start);
    void* targets = o.multi ? static_cast<void*>(dense.data()) : static_cast<void*>(labels.data());
    render_batch(cfg, o.res, start, n, o.threads, data.data(), targets, o.multi ? nullptr : rot.data());
    try {
      file.append(start, n, data.data(), targets, o.multi ? nullptr : rot.data());
    } catch (const Error& e) {
      file.discard();  // a failed write may leave the file inconsistent: never resume from it
      throw Error(std::string(e.what()) + " (disk full or output not writable?); partial file removed");
    }
    res.rendered_now += n;
    if (progress)
      progress(file.rendered(), o.count, res.rendered_now,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  res.render_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
  if (!res.interrupted) {
    try {
      file.finish(res.path);
    } catch (const Error&) {
      file.discard();
      throw;
    }
    if (o.contact_sheet) res.sheet = write_contact_sheet(res.path, sheet_path(o));
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace ss::render
