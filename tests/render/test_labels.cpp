// Labels: dense targets agree with the image, instance ids are unique, classes are
// balanced across splits, and splits never share a shape bucket.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "ss/render/shapes.h"
#include "ss/render/splits.h"
#include "test_render_util.h"

using namespace ss::render;
using ss::render::testing::render_scene;
using ss::render::testing::Rendered;

TEST_CASE("multi-object labels agree with each other and with the image") {
  SceneConfig cfg{Factors::parse("0000"), true, 5, 1200};
  const int res = 64;
  for (int64_t i = 0; i < 12; ++i) {
    CAPTURE(i);
    Scene sc = sample_scene(cfg, i);
    REQUIRE(sc.objects.size() == 4);
    std::set<int> ids;
    for (const ObjectSpec& o : sc.objects) ids.insert(o.instance);
    CHECK(ids == std::set<int>{1, 2, 3, 4});  // unique instance ids
    Rendered img = render_scene(sc, res);
    Scene bg_only = sc;
    bg_only.objects.clear();
    Rendered bg = render_scene(bg_only, res);
    size_t n = size_t(res) * res;
    int bad_sem = 0, bad_depth = 0, bg_brighter = 0, obj_pixels = 0;
    double obj_diff = 0;
    for (size_t p = 0; p < n; ++p) {
      int inst = img.inst[p];
      if (inst == 0) {
        bad_sem += img.sem[p] != 0;
        bad_depth += img.depth[p] != 250;  // background plane: far
      } else {
        REQUIRE(inst <= 4);
        bad_sem += img.sem[p] != sc.objects[inst - 1].cls + 1;
        bad_depth += img.depth[p] >= 250 || img.depth[p] < 100;
      }
      int x = int(p % res), y = int(p / res);
      if (x == 0 || y == 0 || x == res - 1 || y == res - 1) continue;
      bool interior = true;
      for (int d : {-1, 1}) interior &= img.inst[p + d] == inst && img.inst[p + d * res] == inst;
      if (!interior) continue;
      float diff = 0;
      for (int c = 0; c < 3; ++c) diff += std::abs(img.rgb[c * n + p] - bg.rgb[c * n + p]);
      if (inst == 0) {
        // Background pixels show the background, only ever darkened by shadows.
        for (int c = 0; c < 3; ++c) bg_brighter += img.rgb[c * n + p] > bg.rgb[c * n + p] + 1e-5f;
      } else {
        obj_diff += diff;
        ++obj_pixels;
      }
    }
    CHECK(bad_sem == 0);
    CHECK(bad_depth == 0);
    CHECK(bg_brighter == 0);
    if (obj_pixels > 0) CHECK(obj_diff / obj_pixels > 0.03);  // objects differ from the backdrop
  }
}

TEST_CASE("occlusion: nearer objects win the depth test") {
  SceneConfig cfg{Factors::parse("0010"), true, 9, 1200};
  const int res = 64;
  int checked = 0;
  for (int64_t i = 0; i < 20; ++i) {
    Scene sc = sample_scene(cfg, i);
    Rendered img = render_scene(sc, res);
    // Re-render each object alone: where it is visible in the full scene, its depth
    // must equal its solo depth; where another object covers it, the other is nearer.
    for (const ObjectSpec& o : sc.objects) {
      Scene solo = sc;
      solo.objects = {o};
      Rendered s = render_scene(solo, res);
      for (size_t p = 0; p < img.inst.size(); ++p) {
        int x = int(p % res), y = int(p / res);
        if (x == 0 || y == 0 || x == res - 1 || y == res - 1) continue;
        bool interior = true;  // away from every edge in both renders
        for (int d : {-1, 1})
          for (size_t q : {p + d, p + d * res})
            interior &= s.inst[q] == o.instance && img.inst[q] == img.inst[p];
        if (!interior || s.inst[p] != o.instance) continue;
        if (img.inst[p] == o.instance) {
          CHECK(std::abs(int(img.depth[p]) - int(s.depth[p])) <= 1);
        } else if (img.inst[p] != 0) {
          CHECK(int(img.depth[p]) <= int(s.depth[p]) + 1);
          ++checked;
        }
      }
    }
  }
  CHECK(checked > 0);  // some occlusion happened
}

TEST_CASE("splits: authors' sizes at N >= 60000, N/12 below and buckets keep splits apart") {
  Splits s = make_splits(60000);
  CHECK(s.train.begin == 0);
  CHECK(s.train.end == 50000);
  CHECK(s.valid.begin == 50000);
  CHECK(s.valid.size() == 5000);
  CHECK(s.test.begin == 55000);
  CHECK(s.test.size() == 5000);
  Splits b = make_splits(400000);
  CHECK(b.valid.begin == 333333);
  CHECK(b.test.begin == 333333 + 33333);
  CHECK(b.test.size() == 5000);
  Splits t = make_splits(1200);
  CHECK(t.valid.size() == 100);
  CHECK(t.test.size() == 100);
  CHECK(t.test.end == 1200);
  for (int64_t n : {120LL, 1001LL, 1200LL, 60000LL, 100003LL, 400000LL}) {
    Splits sp = make_splits(n);
    CAPTURE(n);
    for (int64_t i : {sp.train.begin, sp.train.end - 1, sp.train.end / 2}) CHECK(bucket_of(i, n) <= 9);
    for (int64_t i : {sp.valid.begin, sp.valid.end - 1}) CHECK(bucket_of(i, n) == 10);
    for (int64_t i : {sp.test.begin, sp.test.end - 1}) CHECK(bucket_of(i, n) == 11);
    for (int bk = 0; bk < kNumBuckets; ++bk) CHECK(bucket_begin(bk, n) <= bucket_begin(bk + 1, n));
  }
}

TEST_CASE("shape instances never cross splits") {
  const int64_t n = 1200;
  SceneConfig cfg{Factors::parse("0000"), false, 3, n};
  Splits sp = make_splits(n);
  std::set<uint64_t> train, valid, test;
  for (int64_t i = 0; i < n; ++i) {
    uint64_t id = sample_scene(cfg, i).objects[0].shape_id;
    CHECK(int(id / kShapesPerBucket) == bucket_of(i, n));
    if (sp.train.contains(i)) train.insert(id);
    if (sp.valid.contains(i)) valid.insert(id);
    if (sp.test.contains(i)) test.insert(id);
  }
  for (uint64_t id : valid) CHECK(train.count(id) == 0);
  for (uint64_t id : test) CHECK((train.count(id) == 0 && valid.count(id) == 0));
}

TEST_CASE("classes are balanced in every split") {
  for (int64_t n : {1200LL, 60000LL}) {
    Splits sp = make_splits(n);
    for (Range r : {sp.train, sp.valid, sp.test}) {
      std::map<int, int64_t> count;
      for (int64_t i = r.begin; i < r.end; ++i) ++count[class_of(7, i)];
      REQUIRE(count.size() == size_t(kNumClasses));
      for (auto [cls, c] : count) {
        CAPTURE(cls);
        CHECK(c >= r.size() / kNumClasses - 1);
        CHECK(c <= r.size() / kNumClasses + 2);
      }
    }
  }
}
