#include <doctest/doctest.h>

#include <cmath>

#include "ss/exp/config.h"
#include "ss/exp/metrics.h"
#include "ss/kernels/error.h"

using namespace ss::app;

TEST_CASE("config: TOML values, dotted overrides, typed errors naming the key") {
  Config c = Config::from_string(R"(
name = "quick"
[train]
epochs = 10
lr = 1e-3
ns = [100, 250]
[model]
arch = "resnet9"
)", "quick.toml");
  CHECK(c.str("name") == "quick");
  CHECK(c.integer("train.epochs") == 10);
  CHECK(c.number("train.lr") == doctest::Approx(1e-3));
  CHECK(c.integers("train.ns", {}) == std::vector<int64_t>{100, 250});
  c.set("train.epochs=3");
  c.set("model.arch=resnet50");  // bare word becomes a string
  c.set("train.ns=[1,2,3]");
  c.set("new.flag=true");
  CHECK(c.integer("train.epochs") == 3);
  CHECK(c.str("model.arch") == "resnet50");
  CHECK(c.integers("train.ns", {}).size() == 3);
  CHECK(c.boolean("new.flag", false));
  CHECK(c.integer("absent", 7) == 7);
  c.set_string("data.path", "dir with \"quote\"/back\\slash.h5");  // escaped, not hand-quoted
  CHECK(c.str("data.path") == "dir with \"quote\"/back\\slash.h5");
  c.set_string("unset.key", "");
  CHECK_FALSE(c.has("unset.key"));
  CHECK_THROWS_WITH_AS(c.integer("model.arch"), doctest::Contains("'model.arch'"), ss::Error);
  CHECK_THROWS_WITH_AS(c.integer("missing.key"), doctest::Contains("missing required key"), ss::Error);
  CHECK_THROWS_WITH_AS(Config::from_string("a = [1,", "bad.toml"), doctest::Contains("bad.toml"), ss::Error);
  CHECK_THROWS_AS(c.set("novalue"), ss::Error);
  // The effective config round-trips through its TOML text.
  Config again = Config::from_string(c.to_toml());
  CHECK(again.integer("train.epochs") == 3);
  CHECK(again.str("model.arch") == "resnet50");
  CHECK(c.to_json().find("\"epochs\"") != std::string::npos);
}

TEST_CASE("accuracy") {
  Accuracy a;
  a.add({0.1f, 0.9f, 0.8f, 0.2f, 0.3f, 0.7f}, {1, 0, 0}, 2);
  CHECK(a.value() == doctest::Approx(2.0 / 3.0));
}

TEST_CASE("segmentation: pixel accuracy and mIoU on a hand-computed case") {
  SegMetrics m(3);
  // one image, 4 pixels; logits [1, 3, 4]
  std::vector<float> logits = {
      1, 0, 0, 0,  // class 0 scores
      0, 1, 1, 0,  // class 1
      0, 0, 0, 1,  // class 2
  };
  // predictions: 0, 1, 1, 2 ; truth: 0, 1, 2, 2
  m.add(logits, {0, 1, 2, 2}, 1, 4);
  CHECK(m.pixel_accuracy() == doctest::Approx(0.75));
  // IoU: c0 1/1, c1 1/2, c2 1/2 -> mean 2/3
  CHECK(m.mean_iou() == doctest::Approx(2.0 / 3.0));
  m.add(logits, {-1, -1, -1, -1}, 1, 4);  // ignored pixels change nothing
  CHECK(m.pixel_accuracy() == doctest::Approx(0.75));
}

TEST_CASE("depth metrics: deltas, L1, RMSE, masking and non-positive predictions") {
  DepthMetrics d;
  d.add({1.0f, 2.4f, 1.2f, 5.0f, -1.0f}, {1.0f, 2.0f, 1.0f, 0.0f, 1.0f}, {1, 1, 1, 1, 0});
  // counted pixels: (1,1), (2.4,2), (1.2,1); truth 0 and masked excluded
  CHECK(d.n == 3);
  CHECK(d.delta125() == doctest::Approx(3.0 / 3.0));
  CHECK(d.delta110() == doctest::Approx(1.0 / 3.0));
  CHECK(d.l1() == doctest::Approx((0 + 0.4 + 0.2) / 3).epsilon(1e-5));
  CHECK(d.rmse() == doctest::Approx(std::sqrt((0.16 + 0.04) / 3)).epsilon(1e-5));
}
