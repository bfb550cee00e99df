// H5Dataset: reads by index equal what was written (both layouts, any order, duplicates,
// contiguous/chunked/compressed storage), and bad files give errors naming file and field.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "data_test_util.h"
#include "ss/data/h5dataset.h"
#include "ss/data/labels.h"
#include "ss/kernels/error.h"

using namespace ss::data;
using namespace ss::data::testing;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ss::Error& e) {
    return e.what();
  }
  return "";
}
bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

void check_images(const H5Dataset& ds, const std::vector<int64_t>& idx) {
  const int R = ds.res();
  std::vector<float> out(idx.size() * 3 * size_t(R) * size_t(R));
  ds.read_images(idx, out.data());
  size_t bad = 0;
  for (size_t k = 0; k < idx.size(); ++k)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < R; ++y)
        for (int x = 0; x < R; ++x)
          bad += out[((k * 3 + size_t(c)) * size_t(R) + size_t(y)) * size_t(R) + size_t(x)] !=
                 image_value(idx[k], c, y, x, R);
  CHECK(bad == 0);
}
}  // namespace

TEST_CASE("H5Dataset: single-object reads by index equal what was written") {
  TempDir dir("single");
  FileSpec s;
  s.n = 120;
  s.res = 16;
  const std::string path = dir.file("single.h5");
  write_file(path, s);
  H5Dataset ds(path);
  CHECK(ds.size() == 120);
  CHECK(ds.res() == 16);
  CHECK_FALSE(ds.multi_object());
  CHECK(ds.has_rot());

  const std::vector<int64_t> idx{7, 3, 3, 119, 0, 1, 2, 50, 51, 52, 7, 118};
  check_images(ds, idx);
  check_images(ds, {0, 1, 2, 3, 4, 5});  // sorted, contiguous: the direct path
  check_images(ds, {});                  // nothing to do

  std::vector<int64_t> lab(idx.size());
  ds.read_labels(idx, lab.data());
  for (size_t k = 0; k < idx.size(); ++k) CHECK(lab[k] == class_value(idx[k]));

  std::vector<double> rot(idx.size() * 9);
  ds.read_rot(idx, rot.data());
  for (size_t k = 0; k < idx.size(); ++k) {
    double r[9];
    rot_value(idx[k], r);
    for (int j = 0; j < 9; ++j) CHECK(rot[k * 9 + size_t(j)] == r[j]);
  }

  ss::Tensor t = ds.images(idx);
  CHECK(t.shape() == ss::Shape{12, 3, 16, 16});
  CHECK(t.dtype() == ss::DType::F32);
  CHECK(ds.labels(idx).shape() == ss::Shape{12});
  CHECK(ds.rot(idx).shape() == ss::Shape{12, 3, 3});
  auto poses = ds.poses(idx).to_vector<int64_t>();
  for (size_t k = 0; k < idx.size(); ++k) {
    double r[9];
    rot_value(idx[k], r);
    CHECK(poses[k] == pose_class(r));
  }
  CHECK(contains(error_of([&] { ds.read_dense(idx, nullptr); }), "not dense targets"));
  CHECK(contains(error_of([&] { ds.images(std::vector<int64_t>{120}); }), path));
  CHECK(contains(error_of([&] { ds.images(std::vector<int64_t>{-1}); }), "'data'"));
}

TEST_CASE("H5Dataset: chunked and compressed storage read the same") {
  TempDir dir("chunked");
  for (bool compress : {false, true}) {
    FileSpec s;
    s.n = 90;
    s.res = 8;
    s.chunk = 16;
    s.compress = compress;
    const std::string path = dir.file(compress ? "gz.h5" : "chunk.h5");
    write_file(path, s);
    H5Dataset ds(path);
    check_images(ds, {89, 0, 15, 16, 17, 33, 33, 64, 1});
  }
}

TEST_CASE("H5Dataset: multi-object dense targets") {
  TempDir dir("multi");
  FileSpec s;
  s.n = 60;
  s.res = 16;
  s.multi = true;
  const std::string path = dir.file("multi.h5");
  write_file(path, s);
  H5Dataset ds(path);
  CHECK(ds.multi_object());
  CHECK_FALSE(ds.has_rot());
  const std::vector<int64_t> idx{59, 2, 2, 30};
  check_images(ds, idx);
  ss::Tensor t = ds.dense(idx);
  CHECK(t.shape() == ss::Shape{4, 3, 16, 16});
  auto v = t.to_vector<uint8_t>();
  size_t bad = 0;
  for (size_t k = 0; k < idx.size(); ++k)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x) bad += v[((k * 3 + size_t(c)) * 16 + size_t(y)) * 16 + size_t(x)] != dense_value(idx[k], c, y, x);
  CHECK(bad == 0);
  CHECK(contains(error_of([&] { ds.labels(idx); }), "not class labels"));
  CHECK(contains(error_of([&] { ds.rot(idx); }), "'rot_mat'"));
}

TEST_CASE("H5Dataset: bad files name the file and the field") {
  TempDir dir("bad");
  auto open_err = [&](const std::string& name, const FileSpec& s) {
    const std::string path = dir.file(name);
    write_file(path, s);
    std::string e = error_of([&] { H5Dataset ds(path); });
    CHECK_MESSAGE(contains(e, path), e);
    if (getenv("SHOWERR")) MESSAGE(e);
    return e;
  };
  FileSpec s;
  s.n = 24;
  s.res = 8;
  {
    FileSpec b = s;
    b.targets = false;
    std::string e = open_err("no_targets.h5", b);
    CHECK(contains(e, "no field 'targets'"));
  }
  {
    FileSpec b = s;
    b.data = false;
    CHECK(contains(open_err("no_data.h5", b), "no field 'data'"));
  }
  {
    FileSpec b = s;
    b.data_as_f32 = true;
    std::string e = open_err("f32.h5", b);
    CHECK(contains(e, "field 'data' has dtype float32"));
    CHECK(contains(e, "expected float16"));
  }
  {
    FileSpec b = s;
    b.data_bad_shape = true;
    CHECK(contains(open_err("shape.h5", b), "field 'data' has shape [24, 4, 8, 8]"));
  }
  {
    FileSpec b = s;
    b.targets_as_i32 = true;
    CHECK(contains(open_err("i32.h5", b), "field 'targets' has dtype int32"));
  }
  {
    FileSpec b = s;
    b.rot_bad_shape = true;
    CHECK(contains(open_err("rot.h5", b), "field 'rot_mat' has shape [24, 9]"));
  }
  {
    // A valid file, truncated: HDF5 notices at open (stored EOF beyond the end of file).
    const std::string path = dir.file("truncated.h5");
    write_file(path, s);
    const auto full = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, full / 2);
    std::string e = error_of([&] { H5Dataset ds(path); });
    CHECK_MESSAGE(contains(e, path), e);
    CHECK_MESSAGE(contains(e, "truncated"), e);
    if (getenv("SHOWERR")) MESSAGE(e);
  }
  {
    // Raw data cut off at the very end: open may succeed, the read must fail cleanly.
    const std::string path = dir.file("cut_tail.h5");
    write_file(path, s);
    const auto full = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, full - 64);
    std::string e = error_of([&] {
      H5Dataset ds(path);
      std::vector<int64_t> all(24);
      for (int64_t i = 0; i < 24; ++i) all[size_t(i)] = i;
      ds.images(all);
      ds.labels(all);
      ds.rot(all);
    });
    CHECK_MESSAGE(contains(e, path), e);
    if (getenv("SHOWERR")) MESSAGE(e);
  }
  {
    // Read-time failure: 'data' lives in an external raw file that has gone missing. The
    // file opens; the read fails and the error names the file, the field and the rows.
    const std::string path = dir.file("external.h5"), raw = dir.file("external.raw");
    {
      std::lock_guard<std::mutex> lock(hdf5_mutex());
      hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
      hsize_t dims[4] = {24, 3, 8, 8};
      hid_t space = H5Screate_simple(4, dims, nullptr);
      hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
      H5Pset_external(dcpl, raw.c_str(), 0, 24 * 3 * 8 * 8 * 2);
      hid_t d = H5Dcreate2(f, "data", f16_type(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
      std::vector<uint16_t> zeros(24 * 3 * 8 * 8, 0);
      H5Dwrite(d, f16_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
      H5Dclose(d);
      H5Pclose(dcpl);
      H5Sclose(space);
      std::vector<int64_t> t(24, 1);
      write_field(f, "targets", H5T_STD_I64LE, H5T_NATIVE_INT64, {24}, t.data());
      H5Fclose(f);
    }
    H5Dataset ds(path);
    CHECK(ds.images(std::vector<int64_t>{3}).shape() == ss::Shape{1, 3, 8, 8});
    std::filesystem::remove(raw);
    std::string e = error_of([&] { ds.images(std::vector<int64_t>{5, 6, 9}); });
    CHECK_MESSAGE(contains(e, path), e);
    CHECK_MESSAGE(contains(e, "field 'data' rows [5, 7)"), e);
    if (getenv("SHOWERR")) MESSAGE(e);
  }
  {
    std::string missing = dir.file("does_not_exist.h5");
    std::string e = error_of([&] { H5Dataset ds(missing); });
    CHECK(contains(e, missing));
  }
  {
    const std::string path = dir.file("not_hdf5.h5");
    std::ofstream(path) << "this is not an HDF5 file";
    CHECK(contains(error_of([&] { H5Dataset ds(path); }), path));
  }
}
