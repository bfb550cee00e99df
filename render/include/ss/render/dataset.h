// Rendering a whole dataset to HDF5 in the authors' layout (REFERENCE §2):
//   data     float16 N x 3 x R x R   CIELAB (D65), normalised per channel
//   targets  int64 N                 (single object: class 0..9)
//            uint8 N x 3 x R x R     (multi object: instance id, semantic class, depth*100)
//   rot_mat  float64 N x 3 x 3       (single object only)
// File: <out>/<bits>/data_<R>_lab.h5, plus contact_<R>.png (8 x 8 samples).
//
// Resumable and crash-safe: the file is written as data_<R>_lab.h5.partial in chunks;
// after each chunk the root attribute `rendered` is updated and the file flushed, so a
// rerun continues from the last complete chunk. Only a finished file is renamed to its
// final name. Output depends only on (bits, count, res, multi, seed), never on the
// chunking or the number of threads.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "ss/render/scene.h"

namespace ss::render {

inline constexpr int kRendererVersion = 1;

struct DatasetOptions {
  std::string bits = "0000";
  int64_t count = 60000;
  int res = 64;
  bool multi = false;
  uint64_t seed = 0;
  std::string out_dir = "data";
  int threads = 0;           // 0 = OpenMP default
  int64_t chunk = 0;         // images per resumable chunk; 0 = automatic (~24 MB of data)
  bool force = false;        // re-render even if a complete file with other settings exists
  bool contact_sheet = true;
  int64_t stop_after = -1;   // testing: stop (as if interrupted) once this many are done
};

struct DatasetResult {
  std::string path;          // final .h5 path
  std::string sheet;         // contact sheet path ("" if none)
  int64_t rendered_now = 0;  // images rendered by this call
  int64_t resumed_from = 0;  // images found already done in a partial file
  bool already_complete = false;
  bool interrupted = false;
  double seconds = 0;         // total, including file set-up and the contact sheet
  double render_seconds = 0;  // rendering + writing the images only
};

// Progress callback: (images done, total, images rendered by this call, seconds).
using ProgressFn = std::function<void(int64_t, int64_t, int64_t, double)>;
// Remarks worth a log line (resuming, restarting a stale partial file, ...).
using NoteFn = std::function<void(const std::string&)>;

std::string dataset_path(const DatasetOptions& o);  // <out>/<bits>/data_<R>_lab.h5
std::string partial_path(const DatasetOptions& o);  // ... .partial
DatasetResult render_dataset(const DatasetOptions& o, const ProgressFn& progress = {},
                             const NoteFn& note = {});

// Asks a running render_dataset to stop after its current chunk (signal-safe).
void request_stop();
void clear_stop();

// Renders images [start, start + n) into caller buffers (used by render_dataset and the
// benchmark): data as float16 bits (n x 3 x R x R), labels (int64 class, or uint8
// n x 3 x R x R), rot (n x 9, single object only; may be null).
void render_batch(const SceneConfig& cfg, int res, int64_t start, int64_t n, int threads,
                  uint16_t* data, void* targets, double* rot);

}  // namespace ss::render
