// CUDA graphs: a captured training step replays to the same bits as the eager step, and a
// step that would wait for the device fails capture with a clear error and leaves the
// stream usable; and the asynchronous small uploads a step without host syncs relies on.
// GPU only (skipped with the driver's reason otherwise); on the CPU the capture API itself
// must refuse cleanly.
#include <doctest/doctest.h>

#include "ss/amp.h"
#include "ss/autograd.h"
#include "ss/cuda_graph.h"
#include "ss/kernels/runtime.h"
#include "ss/ops.h"
#include "ss/optim.h"
#include "ss/readback.h"

using namespace ss;

namespace {
struct Net {
  std::vector<Tensor> params;
  Tensor rm1 = Tensor::zeros({8}, DType::F32, Device::cuda());
  Tensor rv1 = Tensor::ones({8}, DType::F32, Device::cuda());
  Net() {
    const Device d = Device::cuda();
    params = {Tensor::normal({8, 3, 3, 3}, 0, 0.3, 1, 0, DType::F32, d),
              Tensor::ones({8}, DType::F32, d), Tensor::zeros({8}, DType::F32, d),
              Tensor::normal({8, 8, 3, 3}, 0, 0.2, 2, 0, DType::F32, d),
              Tensor::normal({10, 8}, 0, 0.3, 3, 0, DType::F32, d),
              Tensor::zeros({10}, DType::F32, d)};
    for (auto& p : params) p.set_requires_grad(true);
  }
  // conv -> BN+ReLU -> conv -> BN+ReLU with the first block as residual -> pool -> linear
  Tensor loss(const Tensor& x, const Tensor& y) {
    const auto& P = params;
    Tensor h = batch_norm_act(conv2d(x, P[0], {}, {1, 1, 1}), P[1], P[2], rm1, rv1, true, Act::ReLU);
    Tensor r = batch_norm_act(conv2d(h, P[3], {}, {1, 1, 1}), P[1], P[2], {}, {}, true, Act::ReLU,
                              1.0, h);
    return cross_entropy(linear(global_avg_pool(r), P[4], P[5]), y);
  }
};

std::vector<float> flat(const std::vector<Tensor>& ts) {
  std::vector<float> out;
  for (auto& t : ts) {
    auto v = t.to_vector<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}
}  // namespace

TEST_CASE("CUDA graph: a replayed training step equals the eager step bit for bit") {
  if (!cuda_available()) {
    MESSAGE("CUDA graph test skipped: ", cuda::unavailable_reason());
    CHECK_THROWS_AS(CudaGraph().capture([] {}), ss::Error);
    return;
  }
  const Device d = Device::cuda();
  Tensor x = Tensor::normal({4, 3, 8, 8}, 0, 1, 7, 0, DType::F32, d);
  Tensor y = Tensor::from_vector<int64_t>({1, 2, 3, 4}, {4}, d);
  for (bool amp : {false, true}) {
    CAPTURE(amp);
    Net eager, graphed;
    optim::Adam oe(eager.params), og(graphed.params);
    auto step = [&](Net& n, optim::Adam& o) {
      Tensor l;
      {
        AutocastGuard ac(amp);
        ChannelsLastGuard cl(amp);
        l = n.loss(x, y);
      }
      l.backward();
      o.step();
      o.zero_grad();
    };
    for (int k = 0; k < 3; ++k) step(eager, oe);
    step(graphed, og);  // eager warm-up: algorithms, workspace, Adam state
    CudaGraph g;
    g.capture([&] { step(graphed, og); });  // recorded, not run
    g.replay();
    g.replay();
    CHECK(flat(graphed.params) == flat(eager.params));
    CHECK(flat({graphed.rm1, graphed.rv1}) == flat({eager.rm1, eager.rv1}));
  }
}

TEST_CASE("CUDA graph: a device read inside the step fails capture and leaves the stream usable") {
  if (!cuda_available()) {
    MESSAGE("CUDA graph test skipped: ", cuda::unavailable_reason());
    return;
  }
  Tensor t = Tensor::ones({4}, DType::F32, Device::cuda());
  CudaGraph g;
  CHECK_THROWS_WITH_AS(g.capture([&] { (void)sum(t).item(); }),
                       doctest::Contains("during CUDA graph capture"), ss::Error);
  CHECK_FALSE(g.captured());
  CHECK_FALSE(cuda::capturing());
  CHECK(sum(t).item() == 4.0);  // eager work still runs
}

// Small uploads return before the device has read them (a page-locked staging ring, reused
// round-robin behind events): many uploads from host buffers that are overwritten or freed
// at once, in sizes up to and past the ring's slot, must all arrive intact.
TEST_CASE("CUDA uploads: the asynchronous staging ring delivers every byte") {
  if (!cuda_available()) {
    MESSAGE("CUDA upload ring test skipped: ", cuda::unavailable_reason());
    return;
  }
  std::vector<Tensor> on_gpu;
  std::vector<std::vector<int32_t>> expect;
  const int64_t sizes[] = {1, 7, 1000, 65536, 65537, 300000};  // int32s: past 256 KiB at the end
  std::vector<int32_t> host;  // one buffer, rewritten before every upload
  for (int round = 0; round < 40; ++round) {
    const int64_t n = sizes[round % 6];
    host.assign(size_t(n), 0);
    for (int64_t i = 0; i < n; ++i) host[size_t(i)] = int32_t(round * 1000003 + i);
    on_gpu.push_back(Tensor::from_vector(host, {n}, Device::cuda()));
    expect.push_back(host);
    // Work queued between uploads, as in a training step.
    on_gpu.back() = on_gpu.back().clone();
  }
  for (size_t k = 0; k < on_gpu.size(); ++k) {
    CAPTURE(k);
    CHECK(on_gpu[k].to_vector<int32_t>() == expect[k]);
  }
}

// A read-back queued behind a step waits for that copy only; eight may be open at once.
TEST_CASE("CUDA read-backs: values of the moment they were queued, eight open at a time") {
  if (!cuda_available()) {
    MESSAGE("CUDA read-back test skipped: ", cuda::unavailable_reason());
    return;
  }
  Tensor t = Tensor::from_vector<float>({1.f, 2.f, 3.f}, {3}, Device::cuda());
  std::vector<PendingRead> reads;
  for (int k = 0; k < 8; ++k) {
    reads.emplace_back(t);
    t = scale(t, 2.0);  // queued after the read: must not show in it
  }
  CHECK_THROWS_WITH_AS(PendingRead{t}, doctest::Contains("already pending"), ss::Error);
  for (int k = 0; k < 8; ++k) {
    const double f = double(1 << k);
    CHECK(reads[size_t(k)].get() == std::vector<double>{f, 2 * f, 3 * f});
  }
  CHECK(PendingRead(Tensor::from_vector<int64_t>({-5}, {1}, Device::cuda())).get() ==
        std::vector<double>{-5.0});
}
