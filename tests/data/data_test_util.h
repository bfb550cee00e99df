// Helpers for the data tests: a temp dir, and small HDF5 files in the authors' layout
// written directly with the HDF5 C API (so the reader is tested against the format, not
// against our own writer).
#pragma once
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "ss/data/h5dataset.h"
#include "ss/render/half.h"

namespace ss::data::testing {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / ("ss_data_" + tag + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// Exactly representable in float16: multiples of 1/16 in [-16, 16).
inline float image_value(int64_t i, int c, int y, int x, int res) {
  if (c == 0 && y == 0 && x == 0) return float(i % 512) / 16.0f - 16.0f;  // identifies the image
  return float((i * 7 + c * 29 + y * res + x) % 64) / 16.0f - 2.0f;
}
inline int64_t class_value(int64_t i) { return (i * 3) % 10; }
inline uint8_t dense_value(int64_t i, int c, int y, int x) {
  switch (c) {
    case 0: return uint8_t((i + y / 4 + x / 8) % 5);             // instance id
    case 1: return uint8_t((i + x / 2 + y) % 11);                // semantic class
    default: return uint8_t(1 + (i * 13 + y * 7 + x * 3) % 250);  // depth*100, never 0
  }
}
// Rotation about the vertical (y) axis by a_i, then about x by b_i.
inline void rot_value(int64_t i, double r[9]) {
  const double a = 0.37 * double(i), b = 0.05 * double(i % 7);
  const double ca = std::cos(a), sa = std::sin(a), cb = std::cos(b), sb = std::sin(b);
  // R = Ry(a) * Rx(b)
  const double ry[9] = {ca, 0, sa, 0, 1, 0, -sa, 0, ca};
  const double rx[9] = {1, 0, 0, 0, cb, -sb, 0, sb, cb};
  for (int p = 0; p < 3; ++p)
    for (int q = 0; q < 3; ++q) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += ry[p * 3 + k] * rx[k * 3 + q];
      r[p * 3 + q] = s;
    }
}

inline hid_t f16_type() {
  static hid_t t = [] {
    hid_t x = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(x, 15, 10, 5, 0, 10);
    H5Tset_size(x, 2);
    H5Tset_ebias(x, 15);
    H5Tlock(x);
    return x;
  }();
  return t;
}

inline void write_field(hid_t file, const char* name, hid_t file_type, hid_t mem_type,
                        const std::vector<hsize_t>& dims, const void* buf) {
  hid_t space = H5Screate_simple(int(dims.size()), dims.data(), nullptr);
  hid_t d = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (d < 0 || H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
    throw std::runtime_error(std::string("test: writing ") + name);
  H5Dclose(d);
  H5Sclose(space);
}

struct FileSpec {
  int64_t n = 240;
  int res = 32;
  bool multi = false;
  bool rot = true;
  bool data = true, targets = true;
  bool data_as_f32 = false;       // wrong dtype for 'data'
  bool data_bad_shape = false;    // [N, 4, R, R]
  bool targets_as_i32 = false;    // wrong dtype for 'targets'
  bool rot_bad_shape = false;     // [N, 9]
  int chunk = 0;                  // 0: contiguous; else chunk rows (+ gzip when compress)
  bool compress = false;
};

inline void write_file(const std::string& path, const FileSpec& s) {
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) throw std::runtime_error("test: creating " + path);
  const hsize_t N = hsize_t(s.n), R = hsize_t(s.res);
  if (s.data) {
    const int C = s.data_bad_shape ? 4 : 3;
    std::vector<float> img(size_t(N) * C * R * R);
    for (int64_t i = 0; i < s.n; ++i)
      for (int c = 0; c < C; ++c)
        for (int y = 0; y < s.res; ++y)
          for (int x = 0; x < s.res; ++x)
            img[((size_t(i) * C + c) * R + y) * R + x] = image_value(i, c % 3, y, x, s.res);
    std::vector<hsize_t> dims{N, hsize_t(C), R, R};
    if (s.data_as_f32) {
      write_field(f, "data", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, dims, img.data());
    } else {
      std::vector<uint16_t> h(img.size());
      ss::render::floats_to_halves(img.data(), h.data(), img.size());
      if (s.chunk > 0) {
        hid_t space = H5Screate_simple(4, dims.data(), nullptr);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        hsize_t ch[4] = {hsize_t(s.chunk), hsize_t(C), R, R};
        H5Pset_chunk(dcpl, 4, ch);
        if (s.compress) H5Pset_deflate(dcpl, 1);
        hid_t d = H5Dcreate2(f, "data", f16_type(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Dwrite(d, f16_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, h.data());
        H5Dclose(d);
        H5Pclose(dcpl);
        H5Sclose(space);
      } else {
        write_field(f, "data", f16_type(), f16_type(), dims, h.data());
      }
    }
  }
  if (s.targets) {
    if (s.multi) {
      std::vector<uint8_t> t(size_t(N) * 3 * R * R);
      for (int64_t i = 0; i < s.n; ++i)
        for (int c = 0; c < 3; ++c)
          for (int y = 0; y < s.res; ++y)
            for (int x = 0; x < s.res; ++x) t[((size_t(i) * 3 + c) * R + y) * R + x] = dense_value(i, c, y, x);
      write_field(f, "targets", H5T_STD_U8LE, H5T_NATIVE_UINT8, {N, 3, R, R}, t.data());
    } else if (s.targets_as_i32) {
      std::vector<int32_t> t(static_cast<size_t>(N));
      for (int64_t i = 0; i < s.n; ++i) t[size_t(i)] = int32_t(class_value(i));
      write_field(f, "targets", H5T_STD_I32LE, H5T_NATIVE_INT32, {N}, t.data());
    } else {
      std::vector<int64_t> t(static_cast<size_t>(N));
      for (int64_t i = 0; i < s.n; ++i) t[size_t(i)] = class_value(i);
      write_field(f, "targets", H5T_STD_I64LE, H5T_NATIVE_INT64, {N}, t.data());
    }
  }
  if (s.rot && !s.multi) {
    std::vector<double> r(size_t(N) * 9);
    for (int64_t i = 0; i < s.n; ++i) rot_value(i, r.data() + 9 * i);
    if (s.rot_bad_shape)
      write_field(f, "rot_mat", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {N, 9}, r.data());
    else
      write_field(f, "rot_mat", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {N, 3, 3}, r.data());
  }
  if (H5Fclose(f) < 0) throw std::runtime_error("test: closing " + path);
}

}  // namespace ss::data::testing
