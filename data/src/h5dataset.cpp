#include "ss/data/h5dataset.h"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "ss/data/labels.h"
#include "ss/kernels/error.h"
#include "ss/render/half.h"

namespace ss::data {

std::mutex& hdf5_mutex() {
  static std::mutex m;
  return m;
}

namespace {

// Owns an HDF5 id. Callers hold hdf5_mutex() whenever one is created or destroyed.
class Hid {
 public:
  Hid() = default;
  explicit Hid(hid_t id) : id_(id) {}
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid(Hid&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  Hid& operator=(Hid&& o) noexcept {
    std::swap(id_, o.id_);
    return *this;
  }
  ~Hid() { reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() {
    if (id_ < 0) return;
    switch (H5Iget_type(id_)) {
      case H5I_FILE: H5Fclose(id_); break;
      case H5I_DATASET: H5Dclose(id_); break;
      case H5I_DATASPACE: H5Sclose(id_); break;
      case H5I_DATATYPE: H5Tclose(id_); break;
      case H5I_GENPROP_LST: H5Pclose(id_); break;
      case H5I_ATTR: H5Aclose(id_); break;
      default: H5Idec_ref(id_); break;
    }
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
};

herr_t collect_error(unsigned, const H5E_error2_t* e, void* data) {
  auto* msgs = static_cast<std::vector<std::string>*>(data);
  if (e->desc && *e->desc) msgs->push_back(e->desc);
  return 0;
}

// HDF5's own reason for the last failure (innermost messages first), then clears it.
std::string hdf5_reason() {
  std::vector<std::string> msgs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &msgs);
  H5Eclear2(H5E_DEFAULT);
  std::string out;
  for (size_t i = 0; i < msgs.size() && i < 2; ++i) {
    if (i) out += "; ";
    out += msgs[i];
  }
  return out.empty() ? "unknown HDF5 error" : out;
}

enum Field { kData = 0, kTargets = 1, kRot = 2, kNumFields = 3 };
const char* kFieldName[kNumFields] = {"data", "targets", "rot_mat"};

std::string dims_str(const std::vector<hsize_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

std::string type_str(hid_t t) {
  const H5T_class_t c = H5Tget_class(t);
  const size_t size = H5Tget_size(t);
  switch (c) {
    case H5T_FLOAT: return "float" + std::to_string(size * 8);
    case H5T_INTEGER:
      return std::string(H5Tget_sign(t) == H5T_SGN_2 ? "int" : "uint") + std::to_string(size * 8);
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    default: return "type class " + std::to_string(int(c));
  }
}

}  // namespace

struct H5Dataset::Impl {
  Hid file;
  Hid dset[kNumFields];
  Hid mem_type[kNumFields];   // memory type for reads (no conversion for data: raw halves)
  size_t row_bytes[kNumFields] = {0, 0, 0};
  std::vector<hsize_t> dims[kNumFields];
};

H5Dataset::H5Dataset(const std::string& path) : path_(path), impl_(std::make_unique<Impl>()) {
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // we report errors ourselves
  const std::string where = "dataset file '" + path + "'";
  Impl& m = *impl_;
  m.file = Hid(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!m.file.valid()) SS_FAIL("cannot open ", where, ": ", hdf5_reason());

  auto exists = [&](const char* name) {
    htri_t e = H5Lexists(m.file.get(), name, H5P_DEFAULT);
    if (e < 0) SS_FAIL("cannot look up field '", name, "' in ", where, ": ", hdf5_reason());
    return e > 0;
  };
  auto open = [&](int f) {
    const char* name = kFieldName[f];
    // Uncompressed chunks are read straight from the file (cache 0), so a random row
    // never pulls in a whole (often ~24 MB) chunk; compressed chunks need a cache.
    Hid dapl(H5Pcreate(H5P_DATASET_ACCESS));
    Hid d(H5Dopen2(m.file.get(), name, H5P_DEFAULT));
    if (!d.valid()) SS_FAIL("cannot open field '", name, "' in ", where, ": ", hdf5_reason());
    Hid dcpl(H5Dget_create_plist(d.get()));
    const int filters = dcpl.valid() ? H5Pget_nfilters(dcpl.get()) : 0;
    if (filters > 0) {
      H5Pset_chunk_cache(dapl.get(), 1031, size_t(64) << 20, 0.75);
      d = Hid(H5Dopen2(m.file.get(), name, dapl.get()));
    } else {
      H5Pset_chunk_cache(dapl.get(), 0, 0, 0.75);
      d = Hid(H5Dopen2(m.file.get(), name, dapl.get()));
    }
    if (!d.valid()) SS_FAIL("cannot open field '", name, "' in ", where, ": ", hdf5_reason());
    Hid space(H5Dget_space(d.get()));
    const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
    if (rank < 0) SS_FAIL("cannot read the shape of field '", name, "' in ", where, ": ", hdf5_reason());
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    m.dims[f] = dims;
    m.dset[f] = std::move(d);
  };
  auto type_of = [&](int f) {
    Hid t(H5Dget_type(m.dset[f].get()));
    if (!t.valid()) SS_FAIL("cannot read the dtype of field '", kFieldName[f], "' in ", where, ": ", hdf5_reason());
    return t;
  };

  // ---- data: float16 [N, 3, R, R] ----
  if (!exists("data"))
    SS_FAIL(where, " has no field 'data' (expected float16 [N, 3, R, R] normalised LAB images)");
  open(kData);
  {
    Hid t = type_of(kData);
    const auto& d = m.dims[kData];
    if (H5Tget_class(t.get()) != H5T_FLOAT || H5Tget_size(t.get()) != 2 || H5Tget_ebias(t.get()) != 15)
      SS_FAIL(where, ": field 'data' has dtype ", type_str(t.get()),
              H5Tget_size(t.get()) == 2 ? " (not IEEE binary16)" : "",
              ", expected float16 (normalised LAB images)");
    if (d.size() != 4 || d[1] != 3 || d[2] != d[3] || d[2] == 0)
      SS_FAIL(where, ": field 'data' has shape ", dims_str(d), ", expected [N, 3, R, R]");
    n_ = int64_t(d[0]);
    res_ = int(d[2]);
    // Read the file's halves as they are (same size, little endian on x86): no conversion.
    Hid mt(H5Tcopy(t.get()));
    H5Tset_order(mt.get(), H5T_ORDER_LE);
    m.mem_type[kData] = std::move(mt);
    m.row_bytes[kData] = size_t(3) * size_t(res_) * size_t(res_) * 2;
  }
  if (n_ == 0) SS_FAIL(where, ": field 'data' holds no images");

  // ---- targets: int64 [N] or uint8 [N, 3, R, R] ----
  if (!exists("targets"))
    SS_FAIL(where, " has no field 'targets' (expected int64 [N] class labels or uint8 [N, 3, R, R] "
                   "dense targets)");
  open(kTargets);
  {
    Hid t = type_of(kTargets);
    const auto& d = m.dims[kTargets];
    const bool is_int = H5Tget_class(t.get()) == H5T_INTEGER;
    const size_t sz = H5Tget_size(t.get());
    const bool sgn = is_int && H5Tget_sign(t.get()) == H5T_SGN_2;
    const hsize_t R = hsize_t(res_);
    if (is_int && sz == 8 && sgn && d.size() == 1) {
      multi_ = false;
      m.mem_type[kTargets] = Hid(H5Tcopy(H5T_NATIVE_INT64));
      m.row_bytes[kTargets] = 8;
    } else if (is_int && sz == 1 && !sgn && d.size() == 4) {
      if (d[1] != 3 || d[2] != R || d[3] != R)
        SS_FAIL(where, ": field 'targets' has shape ", dims_str(d), ", expected [N, 3, ", R, ", ", R,
                "] (instance id, semantic class, depth*100)");
      multi_ = true;
      m.mem_type[kTargets] = Hid(H5Tcopy(H5T_NATIVE_UINT8));
      m.row_bytes[kTargets] = size_t(3) * R * R;
    } else {
      SS_FAIL(where, ": field 'targets' has dtype ", type_str(t.get()), " and shape ", dims_str(d),
              ", expected int64 [N] (class labels) or uint8 [N, 3, R, R] (dense targets)");
    }
    if (int64_t(d[0]) != n_)
      SS_FAIL(where, ": field 'targets' has ", d[0], " rows but 'data' has ", n_);
  }

  // ---- rot_mat (optional): float64 [N, 3, 3] ----
  has_rot_ = exists("rot_mat");
  if (has_rot_) {
    open(kRot);
    Hid t = type_of(kRot);
    const auto& d = m.dims[kRot];
    if (H5Tget_class(t.get()) != H5T_FLOAT || H5Tget_size(t.get()) != 8)
      SS_FAIL(where, ": field 'rot_mat' has dtype ", type_str(t.get()), ", expected float64");
    if (d.size() != 3 || d[1] != 3 || d[2] != 3 || int64_t(d[0]) != n_)
      SS_FAIL(where, ": field 'rot_mat' has shape ", dims_str(d), ", expected [", n_, ", 3, 3]");
    m.mem_type[kRot] = Hid(H5Tcopy(H5T_NATIVE_DOUBLE));
    m.row_bytes[kRot] = 9 * sizeof(double);
  }

  // Our renderer marks unfinished files (attribute complete = 0); the authors' files have
  // no such attribute.
  if (H5Aexists(m.file.get(), "complete") > 0) {
    Hid a(H5Aopen(m.file.get(), "complete", H5P_DEFAULT));
    int64_t done = 1;
    if (a.valid() && H5Aread(a.get(), H5T_NATIVE_INT64, &done) >= 0 && done == 0)
      SS_FAIL(where, " is incomplete (attribute 'complete' = 0: rendering was interrupted)");
  }
  H5Eclear2(H5E_DEFAULT);
}

H5Dataset::~H5Dataset() {
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  impl_.reset();
}

void H5Dataset::read_rows(int f, std::span<const int64_t> idx, void* out, bool to_f32) const {
  const size_t n = idx.size();
  if (n == 0) return;
  const char* name = kFieldName[f];
  if (f == kRot && !has_rot_) SS_FAIL("dataset file '", path_, "' has no field 'rot_mat' (needed for pose labels)");
  for (size_t i = 0; i < n; ++i)
    if (idx[i] < 0 || idx[i] >= n_)
      SS_FAIL("index ", idx[i], " outside [0, ", n_, ") reading field '", name, "' of dataset file '",
              path_, "'");
  const Impl& m = *impl_;
  const size_t rb = m.row_bytes[f];

  // Sorted unique rows; slot[i] = position of idx[i] among them.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  const bool sorted = std::is_sorted(idx.begin(), idx.end());
  if (!sorted) std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return idx[a] < idx[b]; });
  std::vector<int64_t> uniq;
  std::vector<size_t> slot(n);
  uniq.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    const int64_t v = idx[order[k]];
    if (uniq.empty() || uniq.back() != v) uniq.push_back(v);
    slot[order[k]] = uniq.size() - 1;
  }
  const bool direct = !to_f32 && uniq.size() == n && sorted;  // already in output order
  std::vector<unsigned char> tmp;
  unsigned char* buf = static_cast<unsigned char*>(out);
  if (!direct) {
    tmp.resize(uniq.size() * rb);
    buf = tmp.data();
  }

  {
    std::lock_guard<std::mutex> lock(hdf5_mutex());
    const auto& dims = m.dims[f];
    const int rank = int(dims.size());
    Hid fspace(H5Dget_space(m.dset[f].get()));
    if (!fspace.valid())
      SS_FAIL("reading field '", name, "' of dataset file '", path_, "' failed: ", hdf5_reason());
    std::vector<hsize_t> off(size_t(rank), 0), cnt(dims);
    for (size_t a = 0; a < uniq.size();) {
      size_t b = a + 1;
      while (b < uniq.size() && uniq[b] == uniq[b - 1] + 1) ++b;
      off[0] = hsize_t(uniq[a]);
      cnt[0] = hsize_t(b - a);
      Hid mspace(H5Screate_simple(rank, cnt.data(), nullptr));
      herr_t st = H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, off.data(), nullptr, cnt.data(), nullptr);
      if (st >= 0)
        st = H5Dread(m.dset[f].get(), m.mem_type[f].get(), mspace.get(), fspace.get(), H5P_DEFAULT,
                     buf + a * rb);
      if (st < 0)
        SS_FAIL("reading field '", name, "' rows [", uniq[a], ", ", uniq[b - 1] + 1, ") of dataset file '",
                path_, "' failed (truncated or corrupt file?): ", hdf5_reason());
      a = b;
    }
  }

  if (direct) return;
  if (to_f32) {
    const size_t elems = rb / 2;
    float* o = static_cast<float*>(out);
    for (size_t i = 0; i < n; ++i)
      ss::render::halves_to_floats(reinterpret_cast<const uint16_t*>(buf + slot[i] * rb), o + i * elems, elems);
  } else {
    unsigned char* o = static_cast<unsigned char*>(out);
    for (size_t i = 0; i < n; ++i) std::memcpy(o + i * rb, buf + slot[i] * rb, rb);
  }
}

void H5Dataset::read_images(std::span<const int64_t> idx, float* out) const { read_rows(kData, idx, out, true); }
void H5Dataset::read_images_f16(std::span<const int64_t> idx, uint16_t* out) const {
  read_rows(kData, idx, out, false);
}
void H5Dataset::read_labels(std::span<const int64_t> idx, int64_t* out) const {
  SS_CHECK(!multi_, "dataset file '", path_,
           "': field 'targets' holds dense uint8 targets (multi-object), not class labels");
  read_rows(kTargets, idx, out, false);
}
void H5Dataset::read_dense(std::span<const int64_t> idx, uint8_t* out) const {
  SS_CHECK(multi_, "dataset file '", path_,
           "': field 'targets' holds int64 class labels (single object), not dense targets");
  read_rows(kTargets, idx, out, false);
}
void H5Dataset::read_rot(std::span<const int64_t> idx, double* out) const { read_rows(kRot, idx, out, false); }

Tensor H5Dataset::images(std::span<const int64_t> idx) const {
  Tensor t = Tensor::empty({int64_t(idx.size()), 3, res_, res_}, DType::F32);
  read_images(idx, t.data<float>());
  return t;
}
Tensor H5Dataset::labels(std::span<const int64_t> idx) const {
  Tensor t = Tensor::empty({int64_t(idx.size())}, DType::I64);
  read_labels(idx, t.data<int64_t>());
  return t;
}
Tensor H5Dataset::dense(std::span<const int64_t> idx) const {
  Tensor t = Tensor::empty({int64_t(idx.size()), 3, res_, res_}, DType::U8);
  read_dense(idx, t.data<uint8_t>());
  return t;
}
Tensor H5Dataset::rot(std::span<const int64_t> idx) const {
  Tensor t = Tensor::empty({int64_t(idx.size()), 3, 3}, DType::F64);
  read_rot(idx, t.data<double>());
  return t;
}
Tensor H5Dataset::poses(std::span<const int64_t> idx) const {
  std::vector<double> r(idx.size() * 9);
  read_rot(idx, r.data());
  Tensor t = Tensor::empty({int64_t(idx.size())}, DType::I64);
  pose_classes(r.data(), int64_t(idx.size()), t.data<int64_t>());
  return t;
}

}  // namespace ss::data
