// CUDA parity: the GPU augmentation, dense decoding and the CUDA loader path give exactly
// the CPU results; GPU LAB agrees with the CPU to float rounding. Skipped without a GPU.
#include <doctest/doctest.h>

#include <cstring>

#include "data_test_util.h"
#include "ss/data/augment.h"
#include "ss/data/gpu.h"
#include "ss/data/lab.h"
#include "ss/data/loader.h"
#include "ss/data/splits.h"

using namespace ss::data;
using namespace ss::data::testing;

namespace {
bool gpu_or_skip() {
  if (ss::cuda_available()) return true;
  const std::string why = std::string("skipped: no usable CUDA device (") +
                          (gpu::compiled() ? "CUDA build" : "CPU-only build") + ")";
  MESSAGE(why);
  return false;
}
bool bit_equal(const ss::Tensor& a, const ss::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  if (!a.defined()) return true;
  ss::Tensor ca = a.to(ss::Device::cpu()).contiguous(), cb = b.to(ss::Device::cpu()).contiguous();
  return ca.shape() == cb.shape() && ca.dtype() == cb.dtype() && std::memcmp(ca.raw(), cb.raw(), ca.nbytes()) == 0;
}
}  // namespace

TEST_CASE("cuda: augmentation kernels are bit-identical to the CPU") {
  if (!gpu_or_skip()) return;
  const int R = 64;
  const int64_t n = 96;
  ss::Tensor x = ss::Tensor::normal({n, 3, R, R}, 0.0, 1.0, 5);
  std::vector<uint8_t> tv(size_t(n) * 3 * R * R);
  for (size_t i = 0; i < tv.size(); ++i) tv[i] = uint8_t((i * 2654435761u) >> 24);
  ss::Tensor t = ss::Tensor::from_vector(tv, {n, 3, R, R});
  auto p = draw_aug_params(AugmentConfig{}, R, 77, 3, 1000, n);
  const ss::Device dev = ss::Device::cuda();
  CHECK(bit_equal(augment_images(x, p), augment_images(x.to(dev), p)));
  CHECK(bit_equal(augment_dense(t, p), augment_dense(t.to(dev), p)));
  for (int size : {16, 0}) {
    DenseTargets a = decode_dense(t, p, size), b = decode_dense(t.to(dev), p, size);
    CHECK(bit_equal(a.seg, b.seg));
    CHECK(bit_equal(a.instance, b.instance));
    CHECK(bit_equal(a.depth, b.depth));
    CHECK(bit_equal(a.mask, b.mask));
  }
}

TEST_CASE("cuda: LAB conversion agrees with the CPU") {
  if (!gpu_or_skip()) return;
  ss::Tensor rgb = ss::Tensor::uniform({4, 3, 32, 32}, 0.0, 1.0, 9);
  auto a = srgb_to_lab(rgb).to_vector<float>();
  auto b = srgb_to_lab(rgb.to(ss::Device::cuda())).to_vector<float>();
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
  CHECK(worst < 1e-4);
  ss::Tensor lab = srgb_to_lab(rgb);
  auto c = lab_to_srgb(lab).to_vector<float>();
  auto d = lab_to_srgb(lab.to(ss::Device::cuda())).to_vector<float>();
  worst = 0;
  for (size_t i = 0; i < c.size(); ++i) worst = std::max(worst, double(std::fabs(c[i] - d[i])));
  CHECK(worst < 1e-4);
}

TEST_CASE("cuda: the loader's CUDA paths give the CPU loader's batches") {
  if (!gpu_or_skip()) return;
  TempDir dir("cuda_loader");
  for (bool multi : {false, true}) {
    FileSpec s;
    s.n = 120;
    s.res = 32;
    s.multi = multi;
    const std::string path = dir.file(multi ? "m.h5" : "s.h5");
    write_file(path, s);
    auto ds = std::make_shared<const H5Dataset>(path);
    auto idx = Splits::make(ds->size()).labelled(64);
    LoaderOptions o;
    o.batch_size = 24;
    o.min_samples = 200;
    o.augment = true;
    o.two_views = !multi;
    o.seed = 21;
    LoaderOptions g = o, gd = o;
    g.device = ss::Device::cuda();
    gd.device = ss::Device::cuda();
    gd.augment_on_device = true;
    Loader lc(ds, idx, o), lg(ds, idx, g), lgd(ds, idx, gd);
    int batches = 0;
    while (auto bc = lc.next()) {
      auto bg = lg.next();
      auto bd = lgd.next();
      REQUIRE(bg);
      REQUIRE(bd);
      CHECK(bg->x.is_cuda());
      for (const Batch* b : {&*bg, &*bd}) {
        CHECK(bit_equal(bc->x, b->x));
        CHECK(bit_equal(bc->x2, b->x2));
        CHECK(bit_equal(bc->index, b->index));
        CHECK(!b->index_host.is_cuda());
        CHECK(bit_equal(bc->index_host, b->index_host));
        CHECK(bit_equal(bc->y_class, b->y_class));
        CHECK(bit_equal(bc->y_pose, b->y_pose));
        CHECK(bit_equal(bc->y_seg, b->y_seg));
        CHECK(bit_equal(bc->y_instance, b->y_instance));
        CHECK(bit_equal(bc->y_depth, b->y_depth));
        CHECK(bit_equal(bc->depth_mask, b->depth_mask));
      }
      ++batches;
    }
    CHECK_FALSE(lg.next());
    CHECK_FALSE(lgd.next());
    CHECK(batches == 11);
  }
}
