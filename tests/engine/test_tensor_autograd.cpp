// Tensor views, dtype casts, RNG, autograd semantics and error messages.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "ss/autograd.h"
#include "ss/kernels/philox.h"
#include "ss/ops.h"
#include "ss/readback.h"

using namespace ss;

TEST_CASE("views share storage and contiguous copies") {
  Tensor a = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor r = reshape(a, {3, 2});
  r.data<float>()[0] = 42;
  CHECK(a.to_vector<float>()[0] == 42);
  Tensor s = slice(a, 1, 1, 3);  // [[1,2],[4,5]]
  CHECK_FALSE(s.is_contiguous());
  CHECK(s.to_vector<float>() == std::vector<float>{1, 2, 4, 5});
  Tensor t = transpose(a, 0, 1);
  CHECK(t.shape() == Shape{3, 2});
  CHECK(t.to_vector<float>() == std::vector<float>{42, 3, 1, 4, 2, 5});
  Tensor c = concat({a, a}, 0);
  CHECK(c.shape() == Shape{4, 3});
  CHECK(c.to_vector<float>()[6] == 42);
}

TEST_CASE("rot90 matches torch.rot90 on a 2x3 plane") {
  Tensor x = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {1, 1, 2, 3});
  // torch.rot90(x, 1, (2, 3)) -> [[2,5],[1,4],[0,3]]
  CHECK(rot90(x, 1).to_vector<float>() == std::vector<float>{2, 5, 1, 4, 0, 3});
  CHECK(rot90(x, 2).to_vector<float>() == std::vector<float>{5, 4, 3, 2, 1, 0});
  CHECK(rot90(x, 3).to_vector<float>() == std::vector<float>{3, 0, 4, 1, 5, 2});
  CHECK(rot90(x, 1).shape() == Shape{1, 1, 3, 2});
}

TEST_CASE("fp16 and bf16 storage casts round to nearest even") {
  auto f16_bits = [](float v) {
    Tensor h = Tensor::from_vector<float>({v}, {1}).to(DType::F16);
    return h.data<uint16_t>()[0];
  };
  CHECK(f16_bits(1.0f) == 0x3C00);
  CHECK(f16_bits(-2.0f) == 0xC000);
  CHECK(f16_bits(65504.0f) == 0x7BFF);
  CHECK(f16_bits(65520.0f) == 0x7C00);                 // rounds to +inf
  CHECK(f16_bits(std::ldexp(1.0f, -24)) == 0x0001);    // smallest subnormal
  CHECK(f16_bits(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);  // tie -> even
  CHECK(f16_bits(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3C02);
  Tensor b = Tensor::from_vector<float>({1.0f, 3.14159f}, {2}).to(DType::BF16);
  CHECK(b.data<uint16_t>()[0] == 0x3F80);
  CHECK(b.data<uint16_t>()[1] == 0x4049);
  std::vector<float> back = b.to(DType::F32).to_vector<float>();
  CHECK(back[1] == doctest::Approx(3.140625f));
  std::vector<float> vals = {0.1f, -3.5f, 1000.25f, 1e-3f};
  Tensor h = Tensor::from_vector(vals, {4}).to(DType::F16).to(DType::F32);
  for (size_t i = 0; i < vals.size(); ++i)
    CHECK(h.to_vector<float>()[i] == doctest::Approx(vals[i]).epsilon(1e-3));
}

TEST_CASE("Philox4x32-10 known answers (Random123 kat_vectors)") {
  using philox::U4;
  U4 z = philox::philox4x32_10(U4{{0, 0, 0, 0}}, 0, 0);
  CHECK(z.x[0] == 0x6627e8d5u);
  CHECK(z.x[1] == 0xe169c58du);
  CHECK(z.x[2] == 0xbc57ac4cu);
  CHECK(z.x[3] == 0x9b00dbd8u);
  U4 pi = philox::philox4x32_10(U4{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}},
                                0xa4093822u, 0x299f31d0u);
  CHECK(pi.x[0] == 0xd16cfe09u);
  CHECK(pi.x[1] == 0x94fdccebu);
  CHECK(pi.x[2] == 0x5001e420u);
  CHECK(pi.x[3] == 0x24126ea1u);
}

TEST_CASE("seeded fills are reproducible and have the right moments") {
  Tensor a = Tensor::normal({20000}, 1.0, 2.0, 7), b = Tensor::normal({20000}, 1.0, 2.0, 7);
  CHECK(a.to_vector<float>() == b.to_vector<float>());
  std::vector<float> v = a.to_vector<float>();
  double m = 0, s = 0;
  for (float e : v) m += e;
  m /= v.size();
  for (float e : v) s += (e - m) * (e - m);
  s = std::sqrt(s / v.size());
  CHECK(m == doctest::Approx(1.0).epsilon(0.05));
  CHECK(s == doctest::Approx(2.0).epsilon(0.03));
  Tensor u = Tensor::uniform({10000}, -1, 1, 3);
  for (float e : u.to_vector<float>()) REQUIRE((e >= -1 && e < 1));
  CHECK(Tensor::uniform({8}, 0, 1, 3, 0).to_vector<float>() !=
        Tensor::uniform({8}, 0, 1, 3, 100).to_vector<float>());
}

TEST_CASE("autograd: accumulation, shared inputs, no_grad, detach") {
  Tensor x = Tensor::from_vector<double>({1, 2, 3}, {3});
  x.set_requires_grad(true);
  // y = sum(x*x + 3x) => dy/dx = 2x + 3
  Tensor y = sum(add(mul(x, x), scale(x, 3)));
  y.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{5, 7, 9});
  sum(x).backward();  // a second graph accumulates into .grad
  CHECK(x.grad().to_vector<double>() == std::vector<double>{6, 8, 10});
  {
    NoGradGuard ng;
    Tensor z = mul(x, x);
    CHECK_FALSE(z.requires_grad());
  }
  Tensor d = detach(x);
  CHECK_FALSE(d.requires_grad());
  Tensor w = sum(mul(d, x));  // gradient flows only through the second operand
  x.set_grad(Tensor());
  w.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 2, 3});
}

TEST_CASE("autograd: a deep chain runs without recursion") {
  Tensor x = Tensor::from_vector<double>({0.5}, {1});
  x.set_requires_grad(true);
  Tensor h = x;
  for (int i = 0; i < 20000; ++i) h = scale(h, 1.0);
  sum(h).backward();
  CHECK(x.grad().to_vector<double>()[0] == 1.0);
}

TEST_CASE("autograd: backward through a freed graph is a clear error") {
  Tensor x = Tensor::from_vector<float>({1, 2}, {2});
  x.set_requires_grad(true);
  Tensor y = sum(tanh(x));
  y.backward();
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("already freed"), ss::Error);
}

TEST_CASE("shape and type errors name the op and the shapes") {
  Tensor x = Tensor::zeros({2, 3, 8, 8}), w = Tensor::zeros({4, 5, 3, 3});
  CHECK_THROWS_WITH_AS(conv2d(x, w), doctest::Contains("f32[2, 3, 8, 8]"), ss::Error);
  CHECK_THROWS_WITH_AS(conv2d(x, w), doctest::Contains("conv2d"), ss::Error);
  CHECK_THROWS_WITH_AS(add(Tensor::zeros({2, 3}), Tensor::zeros({3, 2})),
                       doctest::Contains("add: shapes differ"), ss::Error);
  CHECK_THROWS_WITH_AS(add(Tensor::zeros({2}), Tensor::zeros({2}, DType::F64)),
                       doctest::Contains("dtype mismatch"), ss::Error);
  Tensor logits = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(cross_entropy(logits, Tensor::from_vector<int64_t>({0, 3}, {2})),
                       doctest::Contains("target 3 outside [0, 3)"), ss::Error);
  CHECK_THROWS_AS(reshape(logits, {4, 2}), ss::Error);
  CHECK_THROWS_AS(matmul(Tensor::zeros({2, 3}), Tensor::zeros({2, 3})), ss::Error);
}

TEST_CASE("CUDA requests without a GPU fail clearly") {
  if (cuda_available()) return;
  CHECK_THROWS_WITH_AS(Tensor::zeros({2}, DType::F32, Device::cuda()),
                       doctest::Contains("no CUDA device"), ss::Error);
  CHECK_THROWS_AS(Device::parse("tpu"), ss::Error);
}

TEST_CASE("device names") {
  CHECK(Device::parse("cpu").is_cpu());
  CHECK(Device::parse("cuda") == Device::cuda(0));
  CHECK(Device::parse("cuda:0") == Device::cuda(0));
  CHECK_THROWS_WITH_AS(Device::parse("cuda:1"), doctest::Contains("only cuda:0"), ss::Error);
}

TEST_CASE("index_copy_ writes rows in place and the last of repeated indices wins") {
  Tensor dst = Tensor::zeros({5, 3});
  Tensor src = Tensor::from_vector<float>({1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}, {4, 3});
  index_copy_(dst, Tensor::from_vector<int64_t>({4, 0, 4, 2}, {4}), src);
  CHECK(dst.to_vector<float>() ==
        std::vector<float>{2, 2, 2, 0, 0, 0, 4, 4, 4, 0, 0, 0, 3, 3, 3});
  index_copy_(dst, Tensor::from_vector<int64_t>({3, 1}, {2}), slice(src, 0, 0, 2));  // distinct
  CHECK(dst.to_vector<float>() ==
        std::vector<float>{2, 2, 2, 2, 2, 2, 4, 4, 4, 1, 1, 1, 3, 3, 3});
  CHECK_THROWS_WITH_AS(index_copy_(dst, Tensor::from_vector<int64_t>({5}, {1}),
                                   Tensor::zeros({1, 3})),
                       doctest::Contains("out of range"), ss::Error);
  CHECK_THROWS_AS(index_copy_(dst, Tensor::from_vector<int64_t>({1}, {1}), Tensor::zeros({1, 2})),
                  ss::Error);
}

TEST_CASE("top1_accuracy: first maximum wins ties, hand-counted, f16 and empty inputs") {
  // rows: argmax 2 (label 2: hit), tie 0/1 -> 0 (label 1: miss), argmax 1 (label 1: hit),
  // all equal -> 0 (label 0: hit), argmax 3 (label 0: miss)
  Tensor s = Tensor::from_vector<float>({0.1f, 0.2f, 0.9f, 0.0f,  //
                                         0.5f, 0.5f, 0.1f, 0.2f,  //
                                         -3.f, -1.f, -2.f, -4.f,  //
                                         1.f, 1.f, 1.f, 1.f,      //
                                         0.f, 0.f, 0.f, 7.f},
                                        {5, 4});
  Tensor y = Tensor::from_vector<int64_t>({2, 1, 1, 0, 0}, {5});
  Tensor a = top1_accuracy(s, y);
  CHECK(a.dim() == 0);
  CHECK(a.item() == double(3.0f / 5.0f));
  CHECK(!a.requires_grad());
  CHECK(top1_accuracy(s.to(DType::F64), y).item() == 3.0 / 5.0);
  Tensor h = top1_accuracy(s.to(DType::F16), y);
  CHECK(h.dtype() == DType::F32);
  CHECK(h.item() == double(3.0f / 5.0f));
  CHECK(top1_accuracy(Tensor::zeros({0, 4}), Tensor::zeros({0}, DType::I64)).item() == 0.0);
  CHECK_THROWS_WITH_AS(top1_accuracy(s, Tensor::zeros({4}, DType::I64)),
                       doctest::Contains("top1_accuracy: labels"), ss::Error);
}

TEST_CASE("PendingRead: values as doubles, read once, moves hand over the read") {
  PendingRead r(Tensor::from_vector<float>({1.5f, -2.f, 3.25f}, {3}));
  CHECK(r.valid());
  PendingRead moved = std::move(r);
  CHECK(!r.valid());
  CHECK(moved.get() == std::vector<double>{1.5, -2.0, 3.25});
  CHECK(!moved.valid());
  CHECK_THROWS_WITH_AS(moved.get(), doctest::Contains("nothing to read"), ss::Error);
  CHECK(PendingRead(Tensor::from_vector<int64_t>({7}, {})).get() == std::vector<double>{7.0});
}
