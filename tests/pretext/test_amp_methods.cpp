// Every pretext method takes a step under autocast (the GPU recipe: train.amp = true): the
// loss is finite and within f16 rounding of the f32 step's, and the backward runs. Before
// this test, AMDIM's NCE mixed an f16 product into an f32 concat and threw.
#include <doctest/doctest.h>

#include <cmath>

#include "ss/amp.h"
#include "ss/ops.h"
#include "ss/pretext/method.h"
#include "ss/rng.h"

using namespace ss;

TEST_CASE("pretext methods: one step under autocast matches the f32 step") {
  for (const char* name : {"rotation", "vae", "cmc", "amdim"}) {
    CAPTURE(std::string(name));
    pretext::MethodConfig mc;
    mc.method = name;
    mc.model.width = 0.125;
    mc.model.out_feats = 32;
    mc.res = 32;
    mc.bank_size = 64;
    mc.nce_k = 16;
    // Two copies with the same weights (CMC's step updates its memory bank).
    auto make = [&] {
      manual_seed(11);
      auto m = pretext::make_method(mc);
      m->train();
      return m;
    };
    auto method = make(), twin = make();
    data::Batch b;
    b.x = Tensor::normal({8, 3, 32, 32}, 0, 1, 21);
    b.x2 = Tensor::normal({8, 3, 32, 32}, 0, 1, 22);
    std::vector<int64_t> idx(8);
    for (int64_t i = 0; i < 8; ++i) idx[size_t(i)] = i * 3;
    b.index = Tensor::from_vector(idx, {8});
    b.index_host = b.index;
    const double f32 = method->step(b, 0).loss.item();
    pretext::StepOutput amp;
    {
      AutocastGuard autocast;
      amp = twin->step(b, 0);
    }
    CHECK(amp.loss.dtype() == DType::F32);
    const double l = amp.loss.item();
    MESSAGE(std::string(name), ": f32 loss ", f32, ", autocast loss ", l);
    CHECK(std::isfinite(l));
    CHECK(std::abs(l - f32) <= 2e-2 * std::abs(f32) + 1e-3);
    amp.loss.backward();
    for (auto& [metric, v] : amp.metrics) CHECK(std::isfinite(v.item()));
  }
}
