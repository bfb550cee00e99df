// Dataset files: layout (names, dtypes, shapes), determinism across threads and
// chunking, resume after interruption, and clear errors that leave no complete-looking
// file behind.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "ss/kernels/error.h"
#include "ss/render/contact_sheet.h"
#include "ss/render/dataset.h"
#include "ss/render/h5io.h"
#include "ss/render/png_io.h"
#include "test_render_util.h"

using namespace ss::render;
using ss::render::testing::TempDir;
namespace fs = std::filesystem;

namespace {
DatasetOptions small(const TempDir& dir, const std::string& bits, int64_t count, bool multi = false) {
  DatasetOptions o;
  o.bits = bits;
  o.count = count;
  o.multi = multi;
  o.res = multi ? 128 : 64;
  o.seed = 42;
  o.out_dir = dir.str();
  o.threads = 2;
  return o;
}
}  // namespace

TEST_CASE("single-object file: authors' names, dtypes and shapes") {
  TempDir dir("layout");
  DatasetOptions o = small(dir, "1011", 96);
  DatasetResult r = render_dataset(o);
  CHECK(r.path == dir.str() + "/1011/data_64_lab.h5");
  REQUIRE(fs::exists(r.path));
  CHECK_FALSE(fs::exists(partial_path(o)));
  CHECK(fs::exists(dir.path / "1011" / "contact_64.png"));
  h5::Reader f(r.path);
  auto names = f.dataset_names();
  CHECK(names == std::vector<std::string>{"data", "rot_mat", "targets"});
  h5::DatasetInfo d = f.info("data");
  CHECK(d.type_class == H5T_FLOAT);
  CHECK(d.type_size == 2);
  CHECK(d.dims == std::vector<int64_t>{96, 3, 64, 64});
  h5::DatasetInfo t = f.info("targets");
  CHECK(t.type_class == H5T_INTEGER);
  CHECK(t.type_size == 8);
  CHECK(t.is_signed);
  CHECK(t.dims == std::vector<int64_t>{96});
  h5::DatasetInfo m = f.info("rot_mat");
  CHECK(m.type_class == H5T_FLOAT);
  CHECK(m.type_size == 8);
  CHECK(m.dims == std::vector<int64_t>{96, 3, 3});
  // Values: labels are the classes of the scenes; rotations are orthonormal; data is
  // normalised LAB in a sane range.
  auto labels = f.read_labels(0, 96);
  for (int64_t i = 0; i < 96; ++i) CHECK(labels[i] == class_of(42, i));
  auto rot = f.read_rot(0, 96);
  for (int i = 0; i < 96; ++i) {
    double* q = rot.data() + 9 * i;
    double det = q[0] * (q[4] * q[8] - q[5] * q[7]) - q[1] * (q[3] * q[8] - q[5] * q[6]) +
                 q[2] * (q[3] * q[7] - q[4] * q[6]);
    CHECK(det == doctest::Approx(1.0).epsilon(1e-5));
  }
  auto data = f.read_data(0, 96);
  double mean_l = 0;
  for (size_t i = 0; i < 64 * 64; ++i) mean_l += data[i] / (64 * 64);
  CHECK(std::abs(mean_l) < 2.5);
  CHECK(h5::read_attr_i64(f.file(), "complete") == 1);
  CHECK(h5::read_attr_str(f.file(), "bits") == "1011");
}

TEST_CASE("multi-object file: dense uint8 targets, no rot_mat, contact sheet triptych") {
  TempDir dir("multi");
  DatasetOptions o = small(dir, "0110", 24, true);
  DatasetResult r = render_dataset(o);
  h5::Reader f(r.path);
  CHECK(r.path == dir.str() + "/0110/data_128_lab.h5");
  CHECK(f.dataset_names() == std::vector<std::string>{"data", "targets"});
  h5::DatasetInfo d = f.info("data");
  CHECK(d.dims == std::vector<int64_t>{24, 3, 128, 128});
  h5::DatasetInfo t = f.info("targets");
  CHECK(t.type_class == H5T_INTEGER);
  CHECK(t.type_size == 1);
  CHECK_FALSE(t.is_signed);
  CHECK(t.dims == std::vector<int64_t>{24, 3, 128, 128});
  auto dense = f.read_dense(0, 1);
  const size_t plane = 128 * 128;
  int objects = 0;
  for (size_t p = 0; p < plane; ++p) {
    CHECK(dense[p] <= 4);
    CHECK(dense[plane + p] <= 10);
    objects += dense[p] != 0;
  }
  CHECK(objects > 100);
  int w = 0, h = 0;
  auto png = read_png_rgb(r.sheet, w, h);
  CHECK(w == 8 * 3 * 128);
  CHECK(h == 3 * 128);  // 24 images -> 3 rows of the 8-wide grid
}

TEST_CASE("output is independent of thread count and chunking and resume continues exactly") {
  TempDir a("det_a"), b("det_b"), c("det_c");
  DatasetOptions oa = small(a, "1111", 150);
  oa.threads = 1;
  oa.chunk = 150;
  DatasetOptions ob = small(b, "1111", 150);
  ob.threads = 2;
  ob.chunk = 32;
  DatasetOptions oc = small(c, "1111", 150);
  oc.chunk = 32;
  oc.stop_after = 64;  // as if interrupted after two chunks
  render_dataset(oa);
  render_dataset(ob);
  DatasetResult part = render_dataset(oc);
  CHECK(part.interrupted);
  CHECK_FALSE(fs::exists(dataset_path(oc)));  // nothing complete-looking yet
  CHECK(fs::exists(partial_path(oc)));
  oc.stop_after = -1;
  DatasetResult rest = render_dataset(oc);
  CHECK(rest.resumed_from == 64);
  CHECK(rest.rendered_now == 150 - 64);
  h5::Reader fa(dataset_path(oa)), fb(dataset_path(ob)), fc(dataset_path(oc));
  CHECK(fa.read_data(0, 150) == fb.read_data(0, 150));
  CHECK(fa.read_data(0, 150) == fc.read_data(0, 150));
  CHECK(fa.read_rot(0, 150) == fc.read_rot(0, 150));
  CHECK(fa.read_labels(0, 150) == fb.read_labels(0, 150));
  // A rerun of a complete dataset does nothing.
  DatasetResult again = render_dataset(oc);
  CHECK(again.already_complete);
  CHECK(again.rendered_now == 0);
}

TEST_CASE("a stale or corrupt partial file is replaced, not trusted") {
  TempDir dir("stale");
  DatasetOptions o = small(dir, "0000", 40);
  fs::create_directories(dir.path / "0000");
  std::ofstream(partial_path(o)) << "not an hdf5 file";
  std::vector<std::string> notes;
  DatasetResult r = render_dataset(o, {}, [&](const std::string& s) { notes.push_back(s); });
  CHECK(r.resumed_from == 0);
  CHECK(r.rendered_now == 40);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("starting over") != std::string::npos);
  // A partial file for other settings is also restarted.
  DatasetOptions o2 = o;
  o2.count = 48;
  o2.force = true;
  o2.chunk = 16;
  o2.stop_after = 16;
  render_dataset(o2);
  DatasetOptions o3 = o2;
  o3.seed = 7;
  o3.stop_after = -1;
  notes.clear();
  DatasetResult r3 = render_dataset(o3, {}, [&](const std::string& s) { notes.push_back(s); });
  CHECK(r3.resumed_from == 0);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("seed") != std::string::npos);
}

TEST_CASE("bad arguments give clear errors") {
  TempDir dir("bad");
  DatasetOptions o = small(dir, "10x1", 10);
  CHECK_THROWS_WITH_AS(render_dataset(o), doctest::Contains("unknown dataset bits '10x1'"), ss::Error);
  o.bits = "1010";
  o.count = 0;
  CHECK_THROWS_WITH_AS(render_dataset(o), doctest::Contains("--count must be positive"), ss::Error);
  o.count = 10;
  o.res = 3;
  CHECK_THROWS_WITH_AS(render_dataset(o), doctest::Contains("--res"), ss::Error);
  // Unwritable output: a path below a regular file (fails even for root).
  std::ofstream(dir.path / "plainfile") << "x";
  o.res = 64;
  o.out_dir = (dir.path / "plainfile" / "sub").string();
  CHECK_THROWS_WITH_AS(render_dataset(o), doctest::Contains("cannot create output directory"), ss::Error);
  // A complete file with other settings is not silently overwritten.
  o.out_dir = dir.str();
  render_dataset(o);
  DatasetOptions other = o;
  other.seed = 1;
  CHECK_THROWS_WITH_AS(render_dataset(other), doctest::Contains("--force"), ss::Error);
  other.force = true;
  CHECK_NOTHROW(render_dataset(other));
}

TEST_CASE("disk full mid-render: clear error, no file that looks complete") {
  // Simulate a full disk with a file-size limit (EFBIG on write; SIGXFSZ ignored).
  TempDir dir("full");
  DatasetOptions o = small(dir, "0000", 400);
  o.chunk = 64;
  o.contact_sheet = false;
  struct rlimit old;
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit lim = old;
  lim.rlim_cur = 2 << 20;  // 2 MiB: the data needs ~9.6 MiB
  REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0);
  std::string msg;
  try {
    render_dataset(o);
  } catch (const ss::Error& e) {
    msg = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  MESSAGE("disk-full error: ", msg);
  CHECK(msg.find("disk full") != std::string::npos);
  CHECK(msg.find("data_64_lab.h5") != std::string::npos);
  CHECK_FALSE(fs::exists(dataset_path(o)));
  CHECK_FALSE(fs::exists(partial_path(o)));
  // With space again, the same command succeeds.
  CHECK_NOTHROW(render_dataset(o));
  CHECK(fs::exists(dataset_path(o)));
}
