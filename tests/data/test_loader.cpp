// Loader: epoch sizes and tiling, every sample served, determinism under a seed,
// resume with seek, augmentation inside the loader, dense batches, prefetch shutdown.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <map>

#include "data_test_util.h"
#include "ss/data/labels.h"
#include "ss/data/loader.h"
#include "ss/data/splits.h"
#include "ss/kernels/error.h"

using namespace ss::data;
using namespace ss::data::testing;

namespace {
struct Files {
  TempDir dir{"loader"};
  std::string single, multi;
  Files() {
    FileSpec s;
    s.n = 240;
    s.res = 16;
    single = dir.file("single.h5");
    write_file(single, s);
    s.multi = true;
    s.n = 96;
    s.res = 32;
    multi = dir.file("multi.h5");
    write_file(multi, s);
  }
};
Files& files() {
  static Files f;
  return f;
}

bool same(const ss::Tensor& a, const ss::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  if (!a.defined()) return true;
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  ss::Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.raw(), cb.raw(), ca.nbytes()) == 0;
}
bool same(const Batch& a, const Batch& b) {
  return same(a.x, b.x) && same(a.x2, b.x2) && same(a.index, b.index) && same(a.index_host, b.index_host) && same(a.y_class, b.y_class) &&
         same(a.y_pose, b.y_pose) && same(a.y_seg, b.y_seg) && same(a.y_instance, b.y_instance) &&
         same(a.y_depth, b.y_depth) && same(a.depth_mask, b.depth_mask) && a.epoch == b.epoch &&
         a.step == b.step;
}
std::vector<Batch> epoch_batches(Loader& l) {
  std::vector<Batch> out;
  while (auto b = l.next()) out.push_back(std::move(*b));
  return out;
}
}  // namespace

TEST_CASE("loader: tiled epochs serve every labelled sample the right number of times") {
  auto ds = std::make_shared<const H5Dataset>(files().single);
  Splits sp = Splits::make(ds->size(), ds->path());
  CHECK(sp.train.size() == 200);
  LoaderOptions o;
  o.batch_size = 64;
  o.min_samples = 1000;
  o.seed = 3;
  Loader l(ds, sp.labelled(150), o);
  CHECK(l.epoch_size() == 1050);  // 7 copies of 150
  CHECK(l.batches_per_epoch() == 17);
  std::map<int64_t, int> count;
  int64_t samples = 0;
  auto bs = epoch_batches(l);
  CHECK(bs.size() == 17);
  for (const Batch& b : bs) {
    CHECK(b.epoch == 0);
    auto idx = b.index.to_vector<int64_t>();
    CHECK(b.index_host.to_vector<int64_t>() == idx);
    auto cls = b.y_class.to_vector<int64_t>();
    auto pose = b.y_pose.to_vector<int64_t>();
    auto x = b.x.to_vector<float>();
    samples += int64_t(idx.size());
    for (size_t k = 0; k < idx.size(); ++k) {
      count[idx[k]]++;
      CHECK(cls[k] == class_value(idx[k]));
      double r[9];
      rot_value(idx[k], r);
      CHECK(pose[k] == pose_class(r));
      CHECK(x[k * 3 * 16 * 16] == image_value(idx[k], 0, 0, 0, 16));  // no augmentation
    }
  }
  CHECK(bs.back().size() == 1050 - 16 * 64);
  CHECK(samples == 1050);
  CHECK(count.size() == 150);
  for (auto& [i, c] : count) {
    CHECK(i < 150);
    CHECK(c == 7);
  }
  CHECK(l.epoch() == 1);
  auto b = l.next();
  REQUIRE(b);
  CHECK(b->epoch == 1);
  CHECK(b->step == 0);

  // drop_last and no tiling on a validation split.
  LoaderOptions v;
  v.batch_size = 7;
  v.shuffle = false;
  v.min_samples = 0;
  v.drop_last = true;
  Loader lv(ds, sp.valid.indices(), v);
  CHECK(lv.epoch_size() == 20);
  CHECK(lv.batches_per_epoch() == 2);
  auto vb = epoch_batches(lv);
  REQUIRE(vb.size() == 2);
  CHECK(vb[0].index.to_vector<int64_t>() == std::vector<int64_t>{200, 201, 202, 203, 204, 205, 206});
  CHECK_FALSE(vb[0].y_seg.defined());
}

TEST_CASE("loader: deterministic under a seed, independent of prefetch depth and threads and seek resumes") {
  auto ds = std::make_shared<const H5Dataset>(files().single);
  auto idx = Splits::make(ds->size()).labelled(100);
  LoaderOptions o;
  o.batch_size = 32;
  o.min_samples = 500;
  o.seed = 11;
  o.augment = true;
  o.two_views = true;
  LoaderOptions o2 = o;
  o2.prefetch = 1;
  o2.cpu_threads = 2;
  Loader a(ds, idx, o), b(ds, idx, o2);
  std::vector<Batch> first, second;
  for (int e = 0; e < 2; ++e) {
    auto ea = epoch_batches(a), eb = epoch_batches(b);
    REQUIRE(ea.size() == eb.size());
    for (size_t k = 0; k < ea.size(); ++k) CHECK(same(ea[k], eb[k]));
    if (e == 0) {
      first = ea;
    } else {
      second = ea;
      CHECK_FALSE(same(ea[0].index, first[0].index));  // reshuffled each epoch
    }
  }
  // The two views differ but share the flip; images are really augmented.
  CHECK_FALSE(same(first[0].x, first[0].x2));
  CHECK_FALSE(same(first[0].x, ds->images(first[0].index.to_vector<int64_t>())));
  // Another seed, another order.
  LoaderOptions o3 = o;
  o3.seed = 12;
  Loader c(ds, idx, o3);
  CHECK_FALSE(same(c.next()->index, first[0].index));
  // seek(1) reproduces epoch 1; seek(0) epoch 0.
  Loader d(ds, idx, o);
  d.seek(1);
  auto e1 = epoch_batches(d);
  REQUIRE(e1.size() == second.size());
  for (size_t k = 0; k < e1.size(); ++k) CHECK(same(e1[k], second[k]));
  d.seek(0);
  auto e0 = epoch_batches(d);
  REQUIRE(e0.size() == first.size());
  for (size_t k = 0; k < e0.size(); ++k) CHECK(same(e0[k], first[k]));
  // epoch_order is the served order.
  auto order = d.epoch_order(0);
  std::vector<int64_t> served;
  for (auto& bt : first) {
    auto v = bt.index.to_vector<int64_t>();
    served.insert(served.end(), v.begin(), v.end());
  }
  CHECK(order == served);
}

TEST_CASE("loader: multi-object batches with dense targets at 16x16") {
  auto ds = std::make_shared<const H5Dataset>(files().multi);
  LoaderOptions o;
  o.batch_size = 16;
  o.min_samples = 0;
  o.shuffle = false;
  Loader plain(ds, Splits::make(ds->size()).train.indices(), o);
  auto b = plain.next();
  REQUIRE(b);
  CHECK(b->x.shape() == ss::Shape{16, 3, 32, 32});
  CHECK(b->y_seg.shape() == ss::Shape{16, 16, 16});
  CHECK(b->y_instance.shape() == ss::Shape{16, 16, 16});
  CHECK(b->y_depth.shape() == ss::Shape{16, 1, 16, 16});
  CHECK(b->depth_mask.shape() == ss::Shape{16, 1, 16, 16});
  CHECK_FALSE(b->y_class.defined());
  CHECK_FALSE(b->y_pose.defined());
  auto seg = b->y_seg.to_vector<int64_t>();
  auto inst = b->y_instance.to_vector<int64_t>();
  auto dep = b->y_depth.to_vector<float>();
  auto msk = b->depth_mask.to_vector<float>();
  size_t bad = 0;
  for (int s = 0; s < 16; ++s)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) {
        const size_t k = size_t((s * 16 + y) * 16 + x);
        bad += seg[k] != dense_value(s, 1, 2 * y, 2 * x);
        bad += inst[k] != dense_value(s, 0, 2 * y, 2 * x);
        bad += dep[k] != float(dense_value(s, 2, 2 * y, 2 * x)) / 100.0f;
        bad += msk[k] != 1.0f;
      }
  CHECK(bad == 0);
  // Augmented: crop padding has no depth (mask 0), everything else is masked in.
  o.augment = true;
  o.seed = 5;
  o.target_size = 0;  // full resolution
  Loader aug(ds, Splits::make(ds->size()).train.indices(), o);
  double masked = 0, total = 0;
  while (auto ab = aug.next()) {
    CHECK(ab->y_seg.shape() == ss::Shape{ab->size(), 32, 32});
    for (float m : ab->depth_mask.to_vector<float>()) masked += m == 0.0f, total += 1;
  }
  CHECK(masked > 0);
  CHECK(masked / total < 0.25);
}

TEST_CASE("loader: destroying mid-epoch stops the prefetch thread") {
  auto ds = std::make_shared<const H5Dataset>(files().single);
  auto idx = Splits::make(ds->size()).labelled(200);
  LoaderOptions o;
  o.batch_size = 8;
  o.min_samples = 100000;  // a long epoch: the producer is always blocked on a full queue
  o.augment = true;
  o.prefetch = 3;
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < 5; ++k) {
    Loader l(ds, idx, o);
    for (int j = 0; j < k; ++j) REQUIRE(l.next());
    if (k == 3) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  {
    Loader never_used(ds, idx, o);  // no thread was ever started
  }
  {
    Loader l(ds, idx, o);
    REQUIRE(l.next());
    l.seek(4);  // stops and restarts later
    auto b = l.next();
    REQUIRE(b);
    CHECK(b->epoch == 4);
  }
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
}

TEST_CASE("loader: bad options and bad indices are clear errors") {
  auto ds = std::make_shared<const H5Dataset>(files().single);
  LoaderOptions o;
  CHECK_THROWS_AS(Loader(ds, {}, o), ss::Error);
  try {
    Loader l(ds, {0, 240}, o);
    FAIL("expected an error");
  } catch (const ss::Error& e) {
    CHECK(std::string(e.what()).find(files().single) != std::string::npos);
  }
  o.batch_size = 0;
  CHECK_THROWS_AS(Loader(ds, {0, 1}, o), ss::Error);
  o.batch_size = 8;
  o.min_samples = 0;
  o.drop_last = true;
  CHECK_THROWS_AS(Loader(ds, {0, 1}, o), ss::Error);
  o.drop_last = false;
  o.augment_on_device = true;
  CHECK_THROWS_AS(Loader(ds, {0, 1}, o), ss::Error);
  if (!ss::cuda_available()) {
    o.augment_on_device = false;
    o.device = ss::Device::cuda();
    CHECK_THROWS_AS(Loader(ds, {0, 1}, o), ss::Error);
  }
}
