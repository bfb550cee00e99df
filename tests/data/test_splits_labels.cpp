// Split rule, labelled subsets, epoch tiling, pose rule and dense-target helpers.
#include <doctest/doctest.h>

#include <cmath>

#include "ss/data/augment.h"
#include "ss/data/labels.h"
#include "ss/data/splits.h"
#include "ss/kernels/error.h"
#include "ss/render/splits.h"

using namespace ss::data;

namespace {
constexpr double kPi = 3.14159265358979323846;
void rot_y(double a, double r[9]) {
  const double c = std::cos(a), s = std::sin(a);
  const double m[9] = {c, 0, s, 0, 1, 0, -s, 0, c};
  for (int i = 0; i < 9; ++i) r[i] = m[i];
}
void rot_x(double a, double r[9]) {
  const double c = std::cos(a), s = std::sin(a);
  const double m[9] = {1, 0, 0, 0, c, -s, 0, s, c};
  for (int i = 0; i < 9; ++i) r[i] = m[i];
}
}  // namespace

TEST_CASE("splits: the authors' index rule for several N") {
  struct Case {
    int64_t n, train_end, valid_begin, valid_end, test_begin, test_end;
  };
  const Case cases[] = {
      {60000, 50000, 50000, 55000, 55000, 60000},
      {400000, 333333, 333333, 338333, 366666, 371666},
      {120000, 100000, 100000, 105000, 110000, 115000},
      {1200, 1000, 1000, 1100, 1100, 1200},
      {100, 83, 83, 91, 91, 99},
      {12, 10, 10, 11, 11, 12},
  };
  for (const Case& c : cases) {
    CAPTURE(c.n);
    Splits s = Splits::make(c.n, "x.h5");
    CHECK(s.train.begin == 0);
    CHECK(s.train.end == c.train_end);
    CHECK(s.valid.begin == c.valid_begin);
    CHECK(s.valid.end == c.valid_end);
    CHECK(s.test.begin == c.test_begin);
    CHECK(s.test.end == c.test_end);
    // Same rule as the renderer that writes the files.
    ss::render::Splits r = ss::render::make_splits(c.n);
    CHECK(r.train.end == s.train.end);
    CHECK(r.valid.begin == s.valid.begin);
    CHECK(r.valid.end == s.valid.end);
    CHECK(r.test.begin == s.test.begin);
    CHECK(r.test.end == s.test.end);
  }
  CHECK_THROWS_AS(Splits::make(11), ss::Error);
  CHECK(Splits::make(1200).valid.indices().front() == 1000);
  CHECK(Splits::make(1200).valid.indices().size() == 100);
}

TEST_CASE("splits: labelled subset is the first n train indices and too large is an error") {
  Splits s = Splits::make(1200, "/data/0000/data_64_lab.h5");
  auto l = s.labelled(250);
  REQUIRE(l.size() == 250);
  for (int64_t i = 0; i < 250; ++i) CHECK(l[size_t(i)] == i);
  CHECK(s.labelled(1000).size() == 1000);
  try {
    s.labelled(1001);
    FAIL("expected an error");
  } catch (const ss::Error& e) {
    const std::string m = e.what();
    CHECK_MESSAGE(m.find("/data/0000/data_64_lab.h5") != std::string::npos, m);
    CHECK_MESSAGE(m.find("train split") != std::string::npos, m);
    CHECK_MESSAGE(m.find("n = 1001") != std::string::npos, m);
  }
  CHECK_THROWS_AS(s.labelled(0), ss::Error);
}

TEST_CASE("epoch tiling: whole copies up to >= min_samples") {
  CHECK(epoch_copies(100, 10000) == 100);
  CHECK(epoch_copies(250, 10000) == 40);
  CHECK(epoch_copies(4000, 10000) == 3);
  CHECK(epoch_copies(4000, 20000) == 5);
  CHECK(epoch_copies(3000, 10000) == 4);
  CHECK(epoch_copies(10000, 10000) == 1);
  CHECK(epoch_copies(50000, 10000) == 1);
  CHECK(epoch_copies(7, 0) == 1);
  std::vector<int64_t> idx{5, 6, 7};
  auto t = tile_epoch(idx, 10);
  CHECK(t == std::vector<int64_t>{5, 6, 7, 5, 6, 7, 5, 6, 7, 5, 6, 7});
  CHECK(tile_epoch(std::vector<int64_t>(1000, 1), 10000).size() == 10000);
  CHECK(tile_epoch(std::vector<int64_t>(3000, 1), 10000).size() == 12000);
}

TEST_CASE("pose rule on hand-made rotations") {
  double r[9];
  rot_y(0, r);
  CHECK(pose_class(r) == 0);  // identity: canonical
  CHECK(rotation_angle(r) == doctest::Approx(0));
  rot_y(0.3, r);  // < pi/8 = 0.3927
  CHECK(pose_class(r) == 0);
  rot_x(-0.35, r);
  CHECK(pose_class(r) == 0);
  // About the vertical axis in 90-degree steps: four distinct classes.
  rot_y(kPi / 2, r);
  CHECK(forward_azimuth(r) == doctest::Approx(kPi / 2));
  const int64_t c90 = pose_class(r);
  rot_y(kPi, r);
  const int64_t c180 = pose_class(r);
  rot_y(3 * kPi / 2, r);
  const int64_t c270 = pose_class(r);
  CHECK(c90 == 2);
  CHECK(c180 == 3);
  CHECK(c270 == 4);
  rot_y(-kPi / 2, r);
  CHECK(pose_class(r) == 4);
  rot_y(-kPi, r);
  CHECK(pose_class(r) == 3);
  // Large rotation that keeps the front facing the camera: class 1.
  rot_x(kPi / 6, r);
  CHECK(pose_class(r) == 1);
  rot_y(0.6, r);  // past pi/8, azimuth still in [-pi/4, pi/4)
  CHECK(pose_class(r) == 1);
  rot_y(1.2, r);  // azimuth 69 degrees
  CHECK(pose_class(r) == 2);
  rot_y(-1.2, r);
  CHECK(pose_class(r) == 4);
  // Boundaries are half-open like the authors': [-pi/4, pi/4) -> 1, [pi/4, 3pi/4) -> 2.
  rot_y(kPi / 4 + 1e-9, r);
  CHECK(pose_class(r) == 2);
  rot_y(kPi / 4 - 1e-9, r);
  CHECK(pose_class(r) == 1);
  // Batch form.
  double many[27];
  rot_y(0, many);
  rot_y(kPi / 2, many + 9);
  rot_y(kPi, many + 18);
  int64_t out[3];
  pose_classes(many, 3, out);
  CHECK(out[0] == 0);
  CHECK(out[1] == 2);
  CHECK(out[2] == 3);
}

TEST_CASE("resize_nearest and dense decoding") {
  const int R = 8;
  std::vector<uint8_t> v(size_t(2 * 3 * R * R));
  for (size_t i = 0; i < v.size(); ++i) v[i] = uint8_t(i % 251);
  ss::Tensor t = ss::Tensor::from_vector(v, {2, 3, R, R});
  ss::Tensor s = resize_nearest(t, 4, 4);
  CHECK(s.shape() == ss::Shape{2, 3, 4, 4});
  auto sv = s.to_vector<uint8_t>();
  for (int b = 0; b < 2; ++b)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x)
          CHECK(sv[size_t(((b * 3 + c) * 4 + y) * 4 + x)] == v[size_t(((b * 3 + c) * R + 2 * y) * R + 2 * x)]);
  // decode at 4x4 == decode at 8x8 then nearest resize.
  v[size_t(2 * R * R + 5)] = 0;  // one pixel without depth
  t = ss::Tensor::from_vector(v, {2, 3, R, R});
  DenseTargets full = decode_dense(t, {}, 0), small = decode_dense(t, {}, 4);
  CHECK(full.seg.shape() == ss::Shape{2, R, R});
  CHECK(small.depth.shape() == ss::Shape{2, 1, 4, 4});
  auto fd = full.depth.to_vector<float>();
  auto fm = full.mask.to_vector<float>();
  auto fs = full.seg.to_vector<int64_t>();
  auto fi = full.instance.to_vector<int64_t>();
  CHECK(fs[3] == int64_t(v[size_t(R * R + 3)]));
  CHECK(fi[3] == int64_t(v[3]));
  CHECK(fd[3] == float(v[size_t(2 * R * R + 3)]) / 100.0f);
  CHECK(fm[5] == 0.0f);
  CHECK(fm[4] == 1.0f);
  auto sd = small.depth.to_vector<float>();
  auto rd = resize_nearest(full.depth, 4, 4).to_vector<float>();
  CHECK(sd == rd);
  auto sm = small.mask.to_vector<float>();
  auto rm = resize_nearest(full.mask, 4, 4).to_vector<float>();
  CHECK(sm == rm);
}
