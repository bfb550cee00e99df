// Max pooling on NHWC data with saved window positions (the backward reads a byte per
// output instead of the input): the same values and gradients as the NCHW path, ties
// included (first maximum in window order), the input freed after the forward, and on
// CUDA (SS_POOL_ARGMAX=1) the same bits as the CPU.
#include <doctest/doctest.h>

#include <memory>

#include "env_scope.h"
#include "ss/autograd.h"
#include "ss/kernels/env.h"
#include "ss/kernels/runtime.h"
#include "ss/ops.h"

using namespace ss;

namespace {
struct Pooled {
  std::vector<double> y, dx;
};
// Pools x (NHWC when nhwc) and back-propagates R; values as doubles in NCHW order.
Pooled pool(const Tensor& x0, const Tensor& R, bool nhwc) {
  Tensor x = (nhwc ? x0.channels_last() : x0.contiguous()).detach();
  x.set_requires_grad(true);
  Tensor y = max_pool2d(x);
  sum(mul(y, R.to(y.dtype()).to(y.device()))).backward();
  auto host = [](const Tensor& t) {
    return t.to(Device::cpu()).to(DType::F64).contiguous().to_vector<double>();
  };
  return {host(y), host(x.grad())};
}

// Small integers: most windows hold ties, which must resolve to the first maximum.
Tensor with_ties(const Shape& s, uint64_t seed) {
  Tensor u = Tensor::uniform(s, 0, 3, seed, 0, DType::F64);
  auto v = u.to_vector<double>();
  for (double& e : v) e = double(int(e));
  return Tensor::from_vector<double>(v, s);
}
}  // namespace

TEST_CASE("max_pool2d NHWC with saved argmax: ties and odd sizes match the NCHW path") {
  for (const Shape& s : {Shape{2, 5, 7, 6}, Shape{1, 8, 4, 4}, Shape{3, 16, 9, 11}}) {
    CAPTURE(shape_str(s));
    const Tensor x = with_ties(s, 7);
    const Tensor R = Tensor::normal({s[0], s[1], s[2] / 2, s[3] / 2}, 0, 1, 8, 0, DType::F64);
    const Pooled a = pool(x, R, true), b = pool(x, R, false);
    CHECK(a.y == b.y);
    CHECK(a.dx == b.dx);
  }
}

TEST_CASE("max_pool2d NHWC with saved argmax frees its input after the forward") {
  Tensor leaf = Tensor::normal({2, 8, 16, 16}, 0, 1, 3).channels_last();
  leaf.set_requires_grad(true);
  Tensor h = scale(leaf, 2.0);  // an intermediate, like a convolution's output
  std::weak_ptr<Storage> h_storage = h.impl().storage;
  Tensor y = max_pool2d(h);
  h = Tensor();
  CHECK(h_storage.expired());  // nothing kept it: the backward needs only the positions
  sum(y).backward();
  // d/dleaf = 2 at each window's maximum, 0 elsewhere: 64 windows x 2 images x 8 channels
  const auto g = leaf.grad().to_vector<float>();
  double total = 0;
  for (float v : g) total += v;
  CHECK(total == doctest::Approx(2.0 * 2 * 8 * 64));
}

TEST_CASE("CUDA max_pool2d NHWC with saved argmax matches the CPU bit for bit") {
  if (!cuda_available()) {
    MESSAGE("CUDA argmax pooling test skipped: ", cuda::unavailable_reason());
    return;
  }
  test::EnvScope on("SS_POOL_ARGMAX", "1");
  struct Case {
    Shape s;
    DType dt;
  };
  // vectorised (C a multiple of 16 bytes, even H and W) and per-element paths
  for (const Case& c : {Case{{2, 64, 8, 8}, DType::F32}, Case{{2, 3, 7, 6}, DType::F32},
                        Case{{4, 64, 16, 16}, DType::F16}, Case{{2, 12, 9, 5}, DType::F16}}) {
    CAPTURE(shape_str(c.s));
    CAPTURE(dtype_name(c.dt));
    const Tensor x = with_ties(c.s, 11).to(c.dt);
    const Tensor R = Tensor::normal({c.s[0], c.s[1], c.s[2] / 2, c.s[3] / 2}, 0, 1, 12).to(c.dt);
    const Pooled cpu = pool(x, R, true);
    const Pooled gpu = pool(x.to(Device::cuda()), R, true);
    CHECK(gpu.y == cpu.y);
    CHECK(gpu.dx == cpu.dx);
  }
}
