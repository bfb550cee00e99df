#include "ss/render/h5io.h"

#include <mutex>

#include "ss/kernels/error.h"

namespace ss::render::h5 {

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    close();
    id_ = o.id_;
    o.id_ = -1;
  }
  return *this;
}

herr_t Handle::close() {
  if (id_ < 0) return 0;
  hid_t id = id_;
  id_ = -1;
  switch (H5Iget_type(id)) {
    case H5I_FILE: return H5Fclose(id);
    case H5I_DATASET: return H5Dclose(id);
    case H5I_DATASPACE: return H5Sclose(id);
    case H5I_DATATYPE: return H5Tclose(id);
    case H5I_ATTR: return H5Aclose(id);
    case H5I_GROUP: return H5Gclose(id);
    case H5I_GENPROP_LST: return H5Pclose(id);
    default: return H5Idec_ref(id);
  }
}

namespace {
// Must run before any other HDF5 call; a static initialiser does that in practice.
// Harmless (returns an error we ignore) when the library is already initialised.
const bool g_dont_atexit = [] {
  H5dont_atexit();
  return true;
}();
}  // namespace

void silence_errors() {
  (void)g_dont_atexit;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

namespace {
herr_t collect(unsigned n, const H5E_error2_t* e, void* data) {
  auto* msgs = static_cast<std::vector<std::string>*>(data);
  if (e->desc && *e->desc) msgs->push_back(e->desc);
  (void)n;
  return 0;
}
}  // namespace

std::string last_error() {
  std::vector<std::string> msgs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect, &msgs);
  // Innermost first; the system reason ("errno = 28, ... No space left on device") is
  // usually there. Keep the first two to stay one line.
  // HDF5's low-level message is long ("file write failed: time = ..., errno = 28,
  // error message = 'No space left on device', ..."): keep just the system reason.
  for (const std::string& m : msgs) {
    size_t a = m.find("error message = '");
    if (a == std::string::npos) continue;
    a += 17;
    size_t b = m.find('\'', a);
    std::string head = m.substr(0, m.find(':'));
    return head + ": " + m.substr(a, b == std::string::npos ? std::string::npos : b - a);
  }
  std::string out;
  for (size_t i = 0; i < msgs.size() && i < 2; ++i) {
    if (i) out += "; ";
    out += msgs[i];
  }
  return out;
}

void check(int64_t status, const std::string& what, const std::string& path) {
  if (status >= 0) return;
  std::string why = last_error();
  H5Eclear2(H5E_DEFAULT);
  SS_FAIL(what, " '", path, "' failed", why.empty() ? "" : ": ", why);
}

hid_t float16_type() {
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

namespace {
std::string file_name(hid_t obj) {
  char buf[4096];
  ssize_t n = H5Fget_name(obj, buf, sizeof buf);
  return n > 0 ? std::string(buf, size_t(n)) : std::string("file");
}
void write_attr(hid_t obj, const char* name, hid_t type, hid_t space, const void* v) {
  if (H5Aexists(obj, name) > 0) {
    // Overwrite in place when the shape matches (progress updates), else recreate.
    Handle a(H5Aopen(obj, name, H5P_DEFAULT));
    Handle s(H5Aget_space(a.get()));
    if (H5Sget_simple_extent_npoints(s.get()) == H5Sget_simple_extent_npoints(space) &&
        H5Awrite(a.get(), type, v) >= 0)
      return;
    a.close();
    H5Adelete(obj, name);
  }
  Handle a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
  check(a.get(), std::string("creating attribute '") + name + "' in", file_name(obj));
  check(H5Awrite(a.get(), type, v), std::string("writing attribute '") + name + "' in", file_name(obj));
}
}  // namespace

void write_attr_i64(hid_t obj, const char* name, int64_t v) {
  Handle s(H5Screate(H5S_SCALAR));
  write_attr(obj, name, H5T_NATIVE_INT64, s.get(), &v);
}
void write_attr_u64(hid_t obj, const char* name, uint64_t v) {
  Handle s(H5Screate(H5S_SCALAR));
  write_attr(obj, name, H5T_NATIVE_UINT64, s.get(), &v);
}
void write_attr_str(hid_t obj, const char* name, const std::string& v) {
  Handle s(H5Screate(H5S_SCALAR));
  Handle t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t.get(), v.empty() ? 1 : v.size());
  H5Tset_strpad(t.get(), H5T_STR_NULLPAD);
  write_attr(obj, name, t.get(), s.get(), v.empty() ? "" : v.data());
}
void write_attr_f32s(hid_t obj, const char* name, const std::vector<float>& v) {
  hsize_t n = v.size();
  Handle s(H5Screate_simple(1, &n, nullptr));
  write_attr(obj, name, H5T_NATIVE_FLOAT, s.get(), v.data());
}
void write_attr_i64s(hid_t obj, const char* name, const std::vector<int64_t>& v) {
  hsize_t n = v.size();
  Handle s(H5Screate_simple(1, &n, nullptr));
  write_attr(obj, name, H5T_NATIVE_INT64, s.get(), v.data());
}
bool has_attr(hid_t obj, const char* name) { return H5Aexists(obj, name) > 0; }

int64_t read_attr_i64(hid_t obj, const char* name) {
  Handle a(H5Aopen(obj, name, H5P_DEFAULT));
  check(a.get(), std::string("opening attribute '") + name + "' in", file_name(obj));
  int64_t v = 0;
  check(H5Aread(a.get(), H5T_NATIVE_INT64, &v), std::string("reading attribute '") + name + "' in", file_name(obj));
  return v;
}
uint64_t read_attr_u64(hid_t obj, const char* name) {
  Handle a(H5Aopen(obj, name, H5P_DEFAULT));
  check(a.get(), std::string("opening attribute '") + name + "' in", file_name(obj));
  uint64_t v = 0;
  check(H5Aread(a.get(), H5T_NATIVE_UINT64, &v), std::string("reading attribute '") + name + "' in", file_name(obj));
  return v;
}
std::string read_attr_str(hid_t obj, const char* name) {
  Handle a(H5Aopen(obj, name, H5P_DEFAULT));
  check(a.get(), std::string("opening attribute '") + name + "' in", file_name(obj));
  Handle t(H5Aget_type(a.get()));
  size_t n = H5Tget_size(t.get());
  std::string v(n, '\0');
  check(H5Aread(a.get(), t.get(), v.data()), std::string("reading attribute '") + name + "' in", file_name(obj));
  while (!v.empty() && v.back() == '\0') v.pop_back();
  return v;
}

Reader::Reader(const std::string& path) : path_(path) {
  silence_errors();
  file_ = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  check(file_.get(), "opening HDF5 file", path);
}

std::vector<std::string> Reader::dataset_names() const {
  std::vector<std::string> names;
  H5Literate(
      file_.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* d) -> herr_t {
        static_cast<std::vector<std::string>*>(d)->push_back(name);
        return 0;
      },
      &names);
  return names;
}

DatasetInfo Reader::info(const std::string& name) const {
  Handle d(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT));
  check(d.get(), "opening dataset '" + name + "' in", path_);
  Handle t(H5Dget_type(d.get()));
  Handle s(H5Dget_space(d.get()));
  DatasetInfo info;
  info.name = name;
  info.type_class = H5Tget_class(t.get());
  info.type_size = H5Tget_size(t.get());
  info.is_signed = info.type_class == H5T_INTEGER && H5Tget_sign(t.get()) == H5T_SGN_2;
  int rank = H5Sget_simple_extent_ndims(s.get());
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(s.get(), dims.data(), nullptr);
  for (hsize_t x : dims) info.dims.push_back(int64_t(x));
  return info;
}

void Reader::read_rows(const std::string& name, int64_t start, int64_t count, hid_t mem_type,
                       void* out) const {
  Handle d(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT));
  check(d.get(), "opening dataset '" + name + "' in", path_);
  Handle fs(H5Dget_space(d.get()));
  int rank = H5Sget_simple_extent_ndims(fs.get());
  std::vector<hsize_t> dims(rank), off(rank, 0), cnt(rank);
  H5Sget_simple_extent_dims(fs.get(), dims.data(), nullptr);
  SS_CHECK(start >= 0 && count >= 0 && hsize_t(start + count) <= dims[0], "rows [", start, ", ",
           start + count, ") outside dataset '", name, "' of ", dims[0], " rows in ", path_);
  cnt = dims;
  off[0] = hsize_t(start);
  cnt[0] = hsize_t(count);
  H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, off.data(), nullptr, cnt.data(), nullptr);
  Handle ms(H5Screate_simple(rank, cnt.data(), nullptr));
  check(H5Dread(d.get(), mem_type, ms.get(), fs.get(), H5P_DEFAULT, out), "reading dataset '" + name + "' in", path_);
}

namespace {
int64_t row_elems(const DatasetInfo& i) {
  int64_t n = 1;
  for (size_t k = 1; k < i.dims.size(); ++k) n *= i.dims[k];
  return n;
}
}  // namespace

std::vector<float> Reader::read_data(int64_t start, int64_t count) const {
  std::vector<float> v(size_t(count * row_elems(info("data"))));
  read_rows("data", start, count, H5T_NATIVE_FLOAT, v.data());
  return v;
}
std::vector<int64_t> Reader::read_labels(int64_t start, int64_t count) const {
  std::vector<int64_t> v(size_t(count * row_elems(info("targets"))));
  read_rows("targets", start, count, H5T_NATIVE_INT64, v.data());
  return v;
}
std::vector<uint8_t> Reader::read_dense(int64_t start, int64_t count) const {
  std::vector<uint8_t> v(size_t(count * row_elems(info("targets"))));
  read_rows("targets", start, count, H5T_NATIVE_UINT8, v.data());
  return v;
}
std::vector<double> Reader::read_rot(int64_t start, int64_t count) const {
  std::vector<double> v(size_t(count * 9));
  read_rows("rot_mat", start, count, H5T_NATIVE_DOUBLE, v.data());
  return v;
}

}  // namespace ss::render::h5
