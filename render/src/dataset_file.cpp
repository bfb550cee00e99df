#include "dataset_file.h"

#include <algorithm>
#include <filesystem>

#include "ss/kernels/error.h"
#include "ss/render/lab.h"
#include "ss/render/shapes.h"
#include "ss/render/splits.h"

namespace ss::render {

DatasetMeta DatasetMeta::from(const DatasetOptions& o) {
  DatasetMeta m;
  m.bits = o.bits;
  m.multi = o.multi;
  m.res = o.res;
  m.count = o.count;
  m.seed = o.seed;
  return m;
}

bool DatasetMeta::read(hid_t f, DatasetMeta& m) {
  for (const char* a : {"bits", "multi", "res", "count", "seed", "renderer_version"})
    if (!h5::has_attr(f, a)) return false;
  m.bits = h5::read_attr_str(f, "bits");
  m.multi = h5::read_attr_i64(f, "multi") != 0;
  m.res = int(h5::read_attr_i64(f, "res"));
  m.count = h5::read_attr_i64(f, "count");
  m.seed = h5::read_attr_u64(f, "seed");
  m.version = h5::read_attr_i64(f, "renderer_version");
  return true;
}

std::string DatasetMeta::diff(const DatasetMeta& o) const {
  auto s = [](auto a) { return std::to_string(a); };
  if (bits != o.bits) return "bits " + bits + " vs " + o.bits;
  if (multi != o.multi) return std::string("multi ") + (multi ? "yes" : "no") + " vs " + (o.multi ? "yes" : "no");
  if (res != o.res) return "res " + s(res) + " vs " + s(o.res);
  if (count != o.count) return "count " + s(count) + " vs " + s(o.count);
  if (seed != o.seed) return "seed " + s(seed) + " vs " + s(o.seed);
  if (version != o.version) return "renderer version " + s(version) + " vs " + s(o.version);
  return "";
}

DatasetFile::DatasetFile(const std::string& partial, const DatasetMeta& meta, std::string& note)
    : path_(partial), meta_(meta) {
  int64_t img_bytes = 3LL * meta.res * meta.res * 2;
  chunk_images_ = std::clamp<int64_t>((768 << 10) / img_bytes, 1, 256);
  chunk_images_ = std::min(chunk_images_, meta.count);
  if (std::filesystem::exists(partial) && try_resume(note)) return;
  if (std::filesystem::exists(partial)) std::filesystem::remove(partial);
  create();
}

DatasetFile::~DatasetFile() {
  if (broken_)
    file_.leak();
  else
    file_.close();
}

bool DatasetFile::try_resume(std::string& note) {
  h5::Handle f(H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  H5Eclear2(H5E_DEFAULT);
  if (!f.valid()) {
    note = "partial file was unreadable (interrupted mid-write?); starting over";
    return false;
  }
  DatasetMeta old;
  if (!DatasetMeta::read(f.get(), old) || !h5::has_attr(f.get(), "rendered")) {
    note = "partial file has no progress record; starting over";
    return false;
  }
  if (std::string d = meta_.diff(old); !d.empty()) {
    note = "partial file was for other settings (" + d + "); starting over";
    return false;
  }
  rendered_ = h5::read_attr_i64(f.get(), "rendered");
  if (rendered_ < 0 || rendered_ > meta_.count) {
    note = "partial file has a bad progress record; starting over";
    rendered_ = 0;
    return false;
  }
  file_ = std::move(f);
  note = "resuming at image " + std::to_string(rendered_) + " of " + std::to_string(meta_.count);
  return true;
}

void DatasetFile::create() {
  file_ = h5::Handle(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  h5::check(file_.get(), "creating HDF5 file", path_);
  broken_ = true;  // until the layout is on disk
  const hsize_t N = hsize_t(meta_.count), R = hsize_t(meta_.res), C = hsize_t(chunk_images_);
  auto make = [&](const char* name, hid_t type, std::vector<hsize_t> dims, std::vector<hsize_t> chunk) {
    h5::Handle space(H5Screate_simple(int(dims.size()), dims.data(), nullptr));
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    H5Pset_chunk(dcpl.get(), int(chunk.size()), chunk.data());
    h5::Handle d(H5Dcreate2(file_.get(), name, type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
    h5::check(d.get(), std::string("creating dataset '") + name + "' in", path_);
  };
  make("data", h5::float16_type(), {N, 3, R, R}, {C, 3, R, R});
  if (meta_.multi) {
    make("targets", H5T_STD_U8LE, {N, 3, R, R}, {C, 3, R, R});
  } else {
    make("targets", H5T_STD_I64LE, {N}, {std::min<hsize_t>(N, 8192)});
    make("rot_mat", H5T_IEEE_F64LE, {N, 3, 3}, {std::min<hsize_t>(N, 4096), 3, 3});
  }
  hid_t f = file_.get();
  h5::write_attr_str(f, "bits", meta_.bits);
  h5::write_attr_i64(f, "multi", meta_.multi ? 1 : 0);
  h5::write_attr_i64(f, "res", meta_.res);
  h5::write_attr_i64(f, "count", meta_.count);
  h5::write_attr_u64(f, "seed", meta_.seed);
  h5::write_attr_i64(f, "renderer_version", meta_.version);
  h5::write_attr_str(f, "factor_order", "T C V L (texture, colour, viewpoint, lighting)");
  h5::write_attr_f32s(f, "lab_mean", {kLabMean[0], kLabMean[1], kLabMean[2]});
  h5::write_attr_f32s(f, "lab_std", {kLabStd[0], kLabStd[1], kLabStd[2]});
  std::string names;
  for (int c = 0; c < kNumClasses; ++c) {
    if (c) names += ',';
    names += class_name(c);
  }
  h5::write_attr_str(f, "class_names", names);
  Splits s = make_splits(meta_.count);
  h5::write_attr_i64s(f, "splits", {s.train.begin, s.train.end, s.valid.begin, s.valid.end, s.test.begin, s.test.end});
  h5::write_attr_i64(f, "complete", 0);
  h5::write_attr_i64(f, "rendered", 0);
  broken_ = false;
  flush();
  rendered_ = 0;
}

void DatasetFile::write_rows(const char* name, hid_t mem_type, int64_t start, int64_t n, const void* buf) {
  h5::Handle d(H5Dopen2(file_.get(), name, H5P_DEFAULT));
  h5::check(d.get(), std::string("opening dataset '") + name + "' in", path_);
  h5::Handle fs(H5Dget_space(d.get()));
  int rank = H5Sget_simple_extent_ndims(fs.get());
  std::vector<hsize_t> dims(rank), off(rank, 0);
  H5Sget_simple_extent_dims(fs.get(), dims.data(), nullptr);
  off[0] = hsize_t(start);
  dims[0] = hsize_t(n);
  H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, off.data(), nullptr, dims.data(), nullptr);
  h5::Handle ms(H5Screate_simple(rank, dims.data(), nullptr));
  herr_t st = H5Dwrite(d.get(), mem_type, ms.get(), fs.get(), H5P_DEFAULT, buf);
  if (st >= 0) st = d.close();
  if (st < 0) {
    d.leak();  // never touch an object whose I/O failed again (see Handle::leak)
    broken_ = true;
  }
  h5::check(st, std::string("writing '") + name + "' rows " + std::to_string(start) + ".." +
                    std::to_string(start + n) + " of", path_);
}

void DatasetFile::append(int64_t start, int64_t n, const uint16_t* data, const void* targets, const double* rot) {
  SS_CHECK(start == rendered_, "internal: appending at ", start, " but ", rendered_, " are done");
  write_rows("data", h5::float16_type(), start, n, data);
  write_rows("targets", meta_.multi ? H5T_NATIVE_UINT8 : H5T_NATIVE_INT64, start, n, targets);
  if (!meta_.multi) write_rows("rot_mat", H5T_NATIVE_DOUBLE, start, n, rot);
  // Data first, then the progress record: a crash between them only loses this chunk.
  flush();
  broken_ = true;  // until the attribute write and flush succeed
  h5::write_attr_i64(file_.get(), "rendered", start + n);
  broken_ = false;
  flush();
  rendered_ = start + n;
}

void DatasetFile::flush() {
  herr_t st = H5Fflush(file_.get(), H5F_SCOPE_GLOBAL);
  if (st < 0) broken_ = true;
  h5::check(st, "flushing", path_);
}

void DatasetFile::finish(const std::string& final_path) {
  SS_CHECK(rendered_ == meta_.count, "internal: finishing with ", rendered_, " of ", meta_.count, " images");
  broken_ = true;
  h5::write_attr_i64(file_.get(), "complete", 1);
  broken_ = false;
  flush();
  hid_t id = file_.get();
  file_.leak();
  herr_t st = H5Fclose(id);
  if (st < 0) broken_ = true;  // id abandoned (see Handle::leak)
  h5::check(st, "closing", path_);
  std::error_code ec;
  std::filesystem::rename(path_, final_path, ec);
  SS_CHECK(!ec, "cannot rename '", path_, "' to '", final_path, "': ", ec.message());
}

void DatasetFile::discard() {
  if (broken_)
    file_.leak();
  else
    file_.close();
  H5Eclear2(H5E_DEFAULT);
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

}  // namespace ss::render
