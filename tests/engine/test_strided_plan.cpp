// Strided-copy planning (ss/kernels/strided_plan.h), on the host: the CUDA backend runs
// NCHW <-> NHWC conversions of small slabs as shared-memory transposes. These tests emulate
// that kernel's index maps (store, then load, through a padded slab) and compare with the
// CPU's strided copy, for the layouts the framework converts.
#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <numeric>
#include <vector>

#include "ss/kernels/elementwise.h"
#include "ss/kernels/runtime.h"
#include "ss/kernels/strided_plan.h"
#include "ss/kernels/switches.h"
#include "ss/tensor.h"

using namespace ss;

namespace {
using Shape4 = std::array<int64_t, 4>;

Shape4 contiguous(const Shape4& s) { return {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1}; }
Shape4 channels_last(const Shape4& s) { return {s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]}; }

StridedCopy copy4(const Shape4& shape, const Shape4& src, const Shape4& dst) {
  StridedCopy d;
  d.ndim = 4;
  for (int i = 0; i < 4; ++i) {
    d.shape[i] = shape[i];
    d.src_stride[i] = src[i];
    d.dst_stride[i] = dst[i];
  }
  return d;
}

// The slab kernel's result for a planned copy: per slab, source elements stored at
// slab_store_index, destination elements loaded from slab_load_index.
std::vector<int32_t> emulate(const SlabTranspose& t, const std::vector<int32_t>& src, int pad) {
  const int rows = int(t.rows), cols = int(t.cols), ld = cols + pad, n = rows * cols;
  std::vector<int32_t> dst(src.size(), -1), slab(size_t(rows) * ld, -7);
  for (int64_t b = 0; b < t.batch; ++b) {
    for (int i = 0; i < n; ++i)
      slab[size_t(slab_store_index(i, cols, ld))] = src[size_t(b * n + i)];
    for (int j = 0; j < n; ++j)
      dst[size_t(b * n + j)] = slab[size_t(slab_load_index(j, rows, ld))];
  }
  return dst;
}

// Plans d, checks it is a slab transpose with the expected slab, and that the emulated
// kernel writes what the CPU's strided copy writes.
void check_transpose(const StridedCopy& d, int64_t batch, int64_t rows, int64_t cols) {
  int64_t total = 1;
  for (int i = 0; i < d.ndim; ++i) total *= d.shape[i];
  SlabTranspose t;
  REQUIRE(plan_slab_transpose(coalesce(d), 1 << 20, &t));
  CHECK(t.batch == batch);
  CHECK(t.rows == rows);
  CHECK(t.cols == cols);
  std::vector<int32_t> src(static_cast<size_t>(total)), want(static_cast<size_t>(total), -1);
  std::iota(src.begin(), src.end(), 0);
  cpu::copy_strided<int32_t>(d, src.data(), want.data());
  for (int pad : {0, 1, 2, 4}) {
    CAPTURE(pad);
    CHECK(emulate(t, src, pad) == want);
  }
}
}  // namespace

TEST_CASE("strided plan: coalesce merges dims contiguous in both arrays") {
  const Shape4 s{2, 3, 4, 5};
  const StridedCopy c = coalesce(copy4(s, contiguous(s), channels_last(s)));
  REQUIRE(c.ndim == 3);  // H and W merge: [N, C, HW]
  CHECK(c.shape[0] == 2);
  CHECK(c.shape[1] == 3);
  CHECK(c.shape[2] == 20);
  CHECK(coalesce(copy4(s, contiguous(s), contiguous(s))).ndim == 1);  // a plain copy
  const Shape4 ones{1, 7, 1, 1};
  CHECK(coalesce(copy4(ones, contiguous(ones), channels_last(ones))).ndim == 1);
}

TEST_CASE("strided plan: NCHW <-> NHWC conversions are slab transposes, emulated exactly") {
  // filters: KCRS -> KRSC (the forward's weight) and KRSC -> KCRS (the filter gradient)
  for (const Shape4& w : {Shape4{8, 16, 3, 3}, Shape4{5, 7, 3, 3}, Shape4{4, 3, 7, 7}}) {
    CAPTURE(w[0]);
    CAPTURE(w[1]);
    check_transpose(copy4(w, contiguous(w), channels_last(w)), w[0], w[1], w[2] * w[3]);
    check_transpose(copy4(w, channels_last(w), contiguous(w)), w[0], w[2] * w[3], w[1]);
  }
  // activations, one image (no batch dim after coalescing) and several
  for (const Shape4& a : {Shape4{1, 6, 5, 4}, Shape4{3, 6, 5, 4}}) {
    check_transpose(copy4(a, contiguous(a), channels_last(a)), a[0], a[1], a[2] * a[3]);
    check_transpose(copy4(a, channels_last(a), contiguous(a)), a[0], a[2] * a[3], a[1]);
  }
}

TEST_CASE("strided plan: other copies are not taken for slab transposes") {
  SlabTranspose t;
  const Shape4 s{2, 3, 4, 5};
  // 1x1 filters convert by a plain copy: nothing to transpose
  const Shape4 w1{8, 16, 1, 1};
  CHECK_FALSE(
      plan_slab_transpose(coalesce(copy4(w1, contiguous(w1), channels_last(w1))), 1 << 20, &t));
  // a slab over the limit
  CHECK_FALSE(plan_slab_transpose(coalesce(copy4(s, contiguous(s), channels_last(s))), 19, &t));
  CHECK(plan_slab_transpose(coalesce(copy4(s, contiguous(s), channels_last(s))), 60, &t));
  // a permutation that is not a per-slab transpose: [N, C, H, W] -> memory [C][N][H][W]
  const StridedCopy p = copy4(s, contiguous(s), {20, 40, 5, 1});
  CHECK_FALSE(plan_slab_transpose(coalesce(p), 1 << 20, &t));
  // a slice (source rows longer than the copy) is not contiguous per slab
  const StridedCopy sl = copy4(s, {3 * 4 * 10, 4 * 10, 10, 1}, channels_last(s));
  CHECK_FALSE(plan_slab_transpose(coalesce(sl), 1 << 20, &t));
}

TEST_CASE("CUDA layout conversions equal the CPU's bit for bit (slab transposes and the rest)") {
  if (!cuda_available()) {
    MESSAGE("CUDA layout conversion test skipped: ", cuda::unavailable_reason());
    return;
  }
  struct Case {
    ss::Shape s;
    DType dt;
  };
  const Case cases[] = {
      {{512, 512, 3, 3}, DType::F16},  // ResNet9's largest filter: [512] slabs of 9 x 512
      {{64, 3, 7, 7}, DType::F16},     // ResNet50's stem filter
      {{8, 16, 3, 3}, DType::F32},
      {{4, 64, 8, 8}, DType::F32},     // activations with slabs of 4096 elements
      {{2, 3, 64, 64}, DType::F32},    // an RGB batch: slab over the shared-memory limit
      {{2, 64, 64, 64}, DType::F16},   // and a large activation: the generic kernel
  };
  // the slab path is opt-in (SS_COPY_SLAB=1, read once per process): say which ran
  MESSAGE("switches on: ", perf_switches_on());
  for (const Case& c : cases) {
    CAPTURE(ss::shape_str(c.s));
    const Tensor cpu = Tensor::normal(c.s, 0, 1, 3).to(c.dt);
    const Tensor gpu = cpu.to(Device::cuda());
    const Tensor to_nhwc = gpu.channels_last();
    CHECK(to_nhwc.to(Device::cpu()).to(DType::F32).to_vector<float>() ==
          cpu.channels_last().to(DType::F32).to_vector<float>());
    const Tensor back = to_nhwc.contiguous();  // NHWC -> NCHW: the filter gradient's way
    CHECK(back.to(Device::cpu()).to(DType::F32).to_vector<float>() ==
          cpu.to(DType::F32).to_vector<float>());
  }
}
