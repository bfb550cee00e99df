// Internal: the HDF5 dataset file being written (create / resume / append / finish).
#pragma once
#include <cstdint>
#include <string>

#include "ss/render/dataset.h"
#include "ss/render/h5io.h"

namespace ss::render {

// Settings that identify a dataset; a partial or final file is reused only if equal.
struct DatasetMeta {
  std::string bits;
  bool multi = false;
  int res = 64;
  int64_t count = 0;
  uint64_t seed = 0;
  int64_t version = kRendererVersion;

  static DatasetMeta from(const DatasetOptions& o);
  // Reads the meta attributes of an open file; false when any is missing.
  static bool read(hid_t file, DatasetMeta& out);
  // "" when equal, else a short description of the first difference.
  std::string diff(const DatasetMeta& other) const;
};

class DatasetFile {
 public:
  // Opens `partial` for appending when it holds a compatible partial dataset, else
  // creates it anew. `note` receives a human-readable remark (e.g. why it restarted).
  DatasetFile(const std::string& partial, const DatasetMeta& meta, std::string& note);
  ~DatasetFile();
  int64_t rendered() const { return rendered_; }
  int64_t hdf5_chunk_images() const { return chunk_images_; }
  // Writes images [start, start + n); then records progress and flushes.
  void append(int64_t start, int64_t n, const uint16_t* data, const void* targets, const double* rot);
  // Marks complete, closes, and renames to `final_path`.
  void finish(const std::string& final_path);
  // Closes and deletes the partial file (after a write error).
  void discard();

 private:
  void create();
  bool try_resume(std::string& note);
  void write_rows(const char* name, hid_t mem_type, int64_t start, int64_t n, const void* buf);
  void flush();  // marks the file broken on failure

  std::string path_;
  DatasetMeta meta_;
  h5::Handle file_;
  int64_t rendered_ = 0;
  int64_t chunk_images_ = 1;
  bool broken_ = false;  // an I/O call failed: abandon the handle instead of closing it
};

}  // namespace ss::render
