// Augmentation: exact geometric properties, dense targets follow the images, LAB
// grayscale, parameter statistics, determinism, and RGB <-> LAB.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <map>

#include "ss/data/augment.h"
#include "ss/data/lab.h"
#include "ss/render/lab.h"

using namespace ss::data;

namespace {
std::vector<float> ramp(int64_t n, int R) {
  std::vector<float> v(size_t(n) * 3 * size_t(R) * size_t(R));
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(int(i % 1000) - 500) / 64.0f;
  return v;
}
float at(const std::vector<float>& v, int R, int64_t s, int c, int y, int x) {
  return v[((size_t(s) * 3 + size_t(c)) * size_t(R) + size_t(y)) * size_t(R) + size_t(x)];
}
AugParams flip_only() {
  AugParams p;
  p.flip = 1;
  return p;
}
}  // namespace

TEST_CASE("augment: flip twice is the identity and flip mirrors columns") {
  const int R = 16;
  auto x = ramp(2, R);
  std::vector<AugParams> p{flip_only(), flip_only()};
  std::vector<float> once(x.size()), twice(x.size());
  augment_images_cpu(p.data(), 2, R, x.data(), once.data());
  augment_images_cpu(p.data(), 2, R, once.data(), twice.data());
  CHECK(twice == x);
  CHECK(once != x);
  for (int y = 0; y < R; ++y)
    for (int xx = 0; xx < R; ++xx) CHECK(at(once, R, 1, 2, y, xx) == at(x, R, 1, 2, y, R - 1 - xx));
}

TEST_CASE("augment: crop keeps the shape and shifts content, padding is 0") {
  const int R = 16, pad = R / 8;
  auto x = ramp(1, R);
  AugParams p;
  p.pad = pad;
  p.crop_x = 0;  // window starts pad pixels left/up: content moves right/down by pad
  p.crop_y = 2 * pad;
  ss::Tensor in = ss::Tensor::from_vector(x, {1, 3, R, R});
  ss::Tensor out = augment_images(in, {p});
  CHECK(out.shape() == in.shape());
  auto o = out.to_vector<float>();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < R; ++y)
      for (int xx = 0; xx < R; ++xx) {
        const int sy = y + pad, sx = xx - pad;
        const float want = (sy < R && sx >= 0) ? at(x, R, 0, c, sy, sx) : 0.0f;
        CHECK(at(o, R, 0, c, y, xx) == want);
      }
  // The centred origin is the identity.
  p.crop_x = p.crop_y = pad;
  CHECK(augment_images(in, {p}).to_vector<float>() == x);
}

TEST_CASE("augment: dense targets follow the images through flip and crop") {
  const int R = 32;
  AugmentConfig geo = AugmentConfig::none();
  geo.flip = geo.crop = true;
  const int64_t n = 64;
  std::vector<uint8_t> t(size_t(n) * 3 * R * R);
  for (size_t i = 0; i < t.size(); ++i) t[i] = uint8_t(1 + (i * 37) % 250);
  std::vector<float> img(t.begin(), t.end());  // an image that *is* the target map
  auto params = draw_aug_params(geo, R, 7, 0, 0, n);
  int flips = 0, shifted = 0;
  for (auto& p : params) {
    flips += p.flip;
    shifted += (p.crop_x != p.pad || p.crop_y != p.pad);
  }
  CHECK(flips > 0);
  CHECK(flips < n);
  CHECK(shifted > 0);
  std::vector<float> ai(img.size());
  std::vector<uint8_t> at_(t.size());
  augment_images_cpu(params.data(), n, R, img.data(), ai.data());
  augment_dense_cpu(params.data(), n, R, t.data(), at_.data());
  size_t bad = 0;
  for (size_t i = 0; i < t.size(); ++i) bad += ai[i] != float(at_[i]);
  CHECK(bad == 0);
  // Decoded targets at 16x16 are the nearest resize of the augmented full-res targets.
  ss::Tensor tt = ss::Tensor::from_vector(t, {n, 3, R, R});
  DenseTargets d = decode_dense(tt, params, 16);
  auto seg = d.seg.to_vector<int64_t>();
  auto dep = d.depth.to_vector<float>();
  auto msk = d.mask.to_vector<float>();
  for (int64_t s = 0; s < n; ++s)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) {
        const size_t o = size_t((s * 16 + y) * 16 + x);
        const uint8_t sc = at_[((size_t(s) * 3 + 1) * R + size_t(2 * y)) * R + size_t(2 * x)];
        const uint8_t dp = at_[((size_t(s) * 3 + 2) * R + size_t(2 * y)) * R + size_t(2 * x)];
        bad += seg[o] != int64_t(sc);
        bad += dep[o] != float(dp) / 100.0f;
        bad += msk[o] != (dp > 0 ? 1.0f : 0.0f);
      }
  CHECK(bad == 0);
}

TEST_CASE("augment: grayscale zeroes a*, b* and jitter is x * scale + shift and cutout is 0") {
  const int R = 8;
  auto x = ramp(1, R);
  AugParams p;
  p.gray = 1;
  std::vector<float> o(x.size());
  augment_images_cpu(&p, 1, R, x.data(), o.data());
  for (int y = 0; y < R; ++y)
    for (int xx = 0; xx < R; ++xx) {
      CHECK(at(o, R, 0, 0, y, xx) == at(x, R, 0, 0, y, xx));  // L untouched
      float lab[3] = {at(o, R, 0, 0, y, xx), at(o, R, 0, 1, y, xx), at(o, R, 0, 2, y, xx)};
      ss::render::denormalize_lab(lab);
      CHECK(std::fabs(lab[1]) < 1e-5f);
      CHECK(std::fabs(lab[2]) < 1e-5f);
    }
  AugParams j;
  j.jitter = 1;
  j.scale[0] = 1.25f, j.scale[1] = 0.5f, j.scale[2] = 2.0f;
  j.shift[0] = 0.1f, j.shift[1] = -0.3f, j.shift[2] = 0.0f;
  augment_images_cpu(&j, 1, R, x.data(), o.data());
  for (int c = 0; c < 3; ++c) CHECK(at(o, R, 0, c, 3, 4) == at(x, R, 0, c, 3, 4) * j.scale[c] + j.shift[c]);
  AugParams cut;
  cut.cut_size = 2;
  cut.cut_x = 5;
  cut.cut_y = 1;
  augment_images_cpu(&cut, 1, R, x.data(), o.data());
  int zeros = 0;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < R; ++y)
      for (int xx = 0; xx < R; ++xx) {
        const bool in = y >= 1 && y < 3 && xx >= 5 && xx < 7;
        if (in) zeros += at(o, R, 0, c, y, xx) == 0.0f;
        else CHECK(at(o, R, 0, c, y, xx) == at(x, R, 0, c, y, xx));
      }
  CHECK(zeros == 12);
  // Cutout never touches targets.
  std::vector<uint8_t> t(3 * R * R, 9), to(t.size());
  augment_dense_cpu(&cut, 1, R, t.data(), to.data());
  CHECK(to == t);
}

TEST_CASE("augment: parameter statistics match the authors' settings") {
  const int R = 64;
  AugmentConfig cfg;
  const int64_t n = 20000;
  auto ps = draw_aug_params(cfg, R, 123, 4, 0, n);
  double jit = 0, gray = 0, flip = 0, centre = 0, ms = 0, vs = 0, mb = 0, vb = 0;
  int64_t nz = 0;
  bool crop_ok = true, cut_ok = true;
  std::map<int, int> crop_x_hist;
  for (const AugParams& p : ps) {
    gray += p.gray;
    flip += p.flip;
    centre += (p.crop_x == 8 && p.crop_y == 8);
    crop_ok &= p.pad == 8 && p.crop_x >= 0 && p.crop_x <= 16 && p.crop_y >= 0 && p.crop_y <= 16;
    cut_ok &= p.cut_size == 16 && p.cut_x >= 0 && p.cut_x <= 48 && p.cut_y >= 0 && p.cut_y <= 48;
    crop_x_hist[p.crop_x]++;
    if (!p.jitter) {
      CHECK(p.scale[0] == 1.0f);
      continue;
    }
    jit += 1;
    for (int c = 0; c < 3; ++c) {
      const double z = std::log2(double(p.scale[c])) / 0.25, b = double(p.shift[c]) / 0.25;
      ms += z, vs += z * z, mb += b, vb += b * b;
      ++nz;
    }
  }
  CHECK(crop_ok);
  CHECK(cut_ok);
  CHECK(crop_x_hist.size() == 17);
  CHECK(jit / n == doctest::Approx(0.8).epsilon(0.03));
  CHECK(gray / n == doctest::Approx(0.25).epsilon(0.06));
  CHECK(flip / n == doctest::Approx(0.5).epsilon(0.04));
  // (289 positions + 72 extra centred) -> P(centre) = 73 / 361.
  CHECK(centre / n == doctest::Approx(73.0 / 361.0).epsilon(0.08));
  ms /= double(nz), mb /= double(nz);
  vs = vs / double(nz) - ms * ms, vb = vb / double(nz) - mb * mb;
  CHECK(std::fabs(ms) < 0.03);
  CHECK(std::fabs(mb) < 0.03);
  CHECK(vs == doctest::Approx(1.0).epsilon(0.04));
  CHECK(vb == doctest::Approx(1.0).epsilon(0.04));
  // Deterministic and position/epoch/view/seed dependent.
  auto again = draw_aug_params(cfg, R, 123, 4, 0, n);
  CHECK(std::memcmp(again.data(), ps.data(), sizeof(AugParams) * size_t(n)) == 0);
  auto other = [&](uint64_t seed, uint64_t epoch, uint64_t pos, uint32_t view) {
    AugParams a = draw_aug_params(cfg, R, seed, epoch, pos, view);
    return std::memcmp(&a, &ps[5], sizeof(AugParams)) != 0;
  };
  CHECK_FALSE(other(123, 4, 5, 0));
  CHECK(other(124, 4, 5, 0));
  CHECK(other(123, 5, 5, 0));
  CHECK(other(123, 4, 6, 0));
  CHECK(other(123, 4, 5, 1));
  // Switching one augmentation off leaves the others' draws alone.
  AugmentConfig no_gray = cfg;
  no_gray.grayscale = false;
  AugParams a = draw_aug_params(no_gray, R, 123, 4, 9), b = ps[9];
  CHECK(a.gray == 0);
  CHECK(a.flip == b.flip);
  CHECK(a.crop_x == b.crop_x);
  CHECK(a.cut_y == b.cut_y);
  CHECK(a.scale[2] == b.scale[2]);
  // Everything off = identity.
  auto id = draw_aug_params(AugmentConfig::none(), R, 1, 2, 3);
  auto x = ramp(1, R);
  std::vector<float> o(x.size());
  augment_images_cpu(&id, 1, R, x.data(), o.data());
  CHECK(o == x);
}

TEST_CASE("LAB: tensor conversion matches the renderer's and round-trips") {
  std::vector<float> rgb;
  const int P = 64;
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < P; ++p) rgb.push_back(float((p * (c + 3) + 7 * c) % 64) / 63.0f);
  ss::Tensor t = ss::Tensor::from_vector(rgb, {1, 3, 8, 8});
  ss::Tensor lab = srgb_to_lab(t);
  auto l = lab.to_vector<float>();
  for (int p = 0; p < P; ++p) {
    float in[3] = {rgb[size_t(p)], rgb[size_t(P + p)], rgb[size_t(2 * P + p)]}, out[3];
    ss::render::srgb_to_lab(in, out);
    ss::render::normalize_lab(out);
    for (int c = 0; c < 3; ++c) CHECK(l[size_t(c * P + p)] == out[c]);
  }
  auto back = lab_to_srgb(lab).to_vector<float>();
  for (size_t i = 0; i < rgb.size(); ++i) CHECK(back[i] == doctest::Approx(rgb[i]).epsilon(1e-4).scale(1));
  // White: L* = 100, a* = b* = 0.
  ss::Tensor w = srgb_to_lab(ss::Tensor::ones({3, 1, 1}));
  auto wv = w.to_vector<float>();
  CHECK(wv[0] == doctest::Approx((100.0 - 38.44) / 17.42).epsilon(1e-4));
  CHECK(wv[1] == doctest::Approx(kGrayA).epsilon(5e-3));
  CHECK(wv[2] == doctest::Approx(kGrayB).epsilon(5e-3));
}
