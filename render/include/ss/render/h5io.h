// Thin HDF5 C-API helpers: RAII handles, a float16 type identical to h5py's, error
// messages that name the file and carry HDF5's own reason (e.g. "No space left on
// device"), and small read helpers used by tests and the contact sheet.
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ss::render::h5 {

// Owns an hid_t and closes it with the right H5*close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept;
  ~Handle() { close(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  herr_t close();  // returns the close status (< 0: failed, e.g. a flush hit a full disk)
  // Forgets the id without closing it. Used after an I/O error: HDF5 cannot always close
  // an object whose flush failed, and a half-closed object crashes its exit handler.
  void leak() { id_ = -1; }

 private:
  hid_t id_ = -1;
};

// Turns off HDF5's automatic error printing (we report errors ourselves). This module
// also asks HDF5 not to run its exit-time cleanup (H5dont_atexit, at static init), so a
// file abandoned after a write error cannot crash the process on exit.
void silence_errors();
// The innermost messages of the current HDF5 error stack, joined ("" if none).
std::string last_error();
// Throws ss::Error "<what> '<path>' failed: <HDF5 reason>" when status < 0.
void check(int64_t status, const std::string& what, const std::string& path);

// IEEE binary16, little endian (h5py's float16).
hid_t float16_type();  // owned by this module; do not close

// Root-group attributes.
void write_attr_i64(hid_t obj, const char* name, int64_t v);
void write_attr_u64(hid_t obj, const char* name, uint64_t v);
void write_attr_str(hid_t obj, const char* name, const std::string& v);
void write_attr_f32s(hid_t obj, const char* name, const std::vector<float>& v);
void write_attr_i64s(hid_t obj, const char* name, const std::vector<int64_t>& v);
bool has_attr(hid_t obj, const char* name);
int64_t read_attr_i64(hid_t obj, const char* name);
uint64_t read_attr_u64(hid_t obj, const char* name);
std::string read_attr_str(hid_t obj, const char* name);

struct DatasetInfo {
  std::string name;
  H5T_class_t type_class = H5T_NO_CLASS;
  size_t type_size = 0;
  bool is_signed = false;
  std::vector<int64_t> dims;
};

// Read-only view of a dataset file.
class Reader {
 public:
  explicit Reader(const std::string& path);
  const std::string& path() const { return path_; }
  hid_t file() const { return file_.get(); }
  std::vector<std::string> dataset_names() const;
  DatasetInfo info(const std::string& name) const;
  // Reads `count` rows (along dim 0) from `start`, converted by HDF5 to `mem_type`.
  void read_rows(const std::string& name, int64_t start, int64_t count, hid_t mem_type, void* out) const;
  std::vector<float> read_data(int64_t start, int64_t count) const;       // `data` as float
  std::vector<int64_t> read_labels(int64_t start, int64_t count) const;   // single-object targets
  std::vector<uint8_t> read_dense(int64_t start, int64_t count) const;    // multi-object targets
  std::vector<double> read_rot(int64_t start, int64_t count) const;       // rot_mat

 private:
  std::string path_;
  Handle file_;
};

}  // namespace ss::render::h5
