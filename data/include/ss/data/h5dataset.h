// Read-only, streaming access to a dataset file in the authors' HDF5 layout (REFERENCE §2):
//   data     float16 [N, 3, R, R]   normalised CIELAB
//   targets  int64 [N]              single object: class index
//            uint8 [N, 3, R, R]     multi object: instance id, semantic class, depth*100
//   rot_mat  float64 [N, 3, 3]      optional (single object): object rotation, row-major
// The constructor validates names, dtypes and shapes; any problem (missing field, wrong
// dtype/shape, truncated or unreadable file, index out of range) throws ss::Error naming
// the file and the field.
//
// Reads take an index list in any order (duplicates allowed): indices are sorted, cut
// into contiguous runs, and each run is one hyperslab read, so a batch costs one HDF5 call
// per run and nothing but the requested rows is ever loaded. float16 is converted to
// float32 on the fly (F16C when available).
//
// Thread safety: the Debian HDF5 is a serial (non-thread-safe) build, so every HDF5 call
// in ss_data holds hdf5_mutex(). Other code calling HDF5 while a Loader runs should take
// it too.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "ss/tensor.h"

namespace ss::data {

std::mutex& hdf5_mutex();

class H5Dataset {
 public:
  explicit H5Dataset(const std::string& path);
  ~H5Dataset();
  H5Dataset(const H5Dataset&) = delete;
  H5Dataset& operator=(const H5Dataset&) = delete;

  const std::string& path() const { return path_; }
  int64_t size() const { return n_; }  // N
  int res() const { return res_; }     // R
  bool multi_object() const { return multi_; }  // dense uint8 targets
  bool has_rot() const { return has_rot_; }

  // Raw reads into caller buffers (row-major, in the order of idx).
  void read_images(std::span<const int64_t> idx, float* out) const;      // n x 3 x R x R
  void read_images_f16(std::span<const int64_t> idx, uint16_t* out) const;  // raw halves
  void read_labels(std::span<const int64_t> idx, int64_t* out) const;    // single object
  void read_dense(std::span<const int64_t> idx, uint8_t* out) const;     // n x 3 x R x R
  void read_rot(std::span<const int64_t> idx, double* out) const;        // n x 9

  // Tensor conveniences (CPU tensors).
  Tensor images(std::span<const int64_t> idx) const;  // f32 [n, 3, R, R]
  Tensor labels(std::span<const int64_t> idx) const;  // i64 [n]
  Tensor dense(std::span<const int64_t> idx) const;   // u8 [n, 3, R, R]
  Tensor rot(std::span<const int64_t> idx) const;     // f64 [n, 3, 3]
  Tensor poses(std::span<const int64_t> idx) const;   // i64 [n] (pose_class of rot_mat)

 private:
  struct Impl;
  void read_rows(int field, std::span<const int64_t> idx, void* out, bool to_f32) const;
  std::string path_;
  int64_t n_ = 0;
  int res_ = 0;
  bool multi_ = false, has_rot_ = false;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ss::data
