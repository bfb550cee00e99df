// Double-precision gradient checks (central differences) for the composite pieces the
// pretext methods add: memory-bank gather (index_select), tanh soft clip, KL, the
// reparameterisation, the chunked rotation, adaptive pooling, location selection, and
// the full CMC and AMDIM objectives.
#include <doctest/doctest.h>

#include "pretext_test_util.h"
#include "ss/pretext/losses.h"

using namespace ss;
using namespace ss::pretext;
using namespace ss::pretext::testing;
using V = std::vector<Tensor>;

TEST_CASE("gradcheck: memory-bank gather (index_select with repeated rows)") {
  Tensor idx = Tensor::from_vector(std::vector<int64_t>{3, 0, 3, 5, 1, 1}, {2, 3});
  gradcheck("index_select", [&](const V& v) { return index_select(v[0], idx); }, {rnd64({6, 4}, 1)});
}

TEST_CASE("gradcheck: tanh soft clip c * tanh(x / c)") {
  gradcheck("softclip c=30", [](const V& v) { return softclip(v[0], 30.0); }, {rnd64({5, 7}, 2, 25.0)});
  gradcheck("softclip c=2", [](const V& v) { return softclip(v[0], 2.0); }, {rnd64({5, 7}, 3, 3.0)});
}

TEST_CASE("gradcheck: KL divergence, reparameterisation, VAE loss") {
  gradcheck("kl", [](const V& v) { return kl_divergence(v[0], v[1]); }, {rnd64({3, 4}, 4), rnd64({3, 4}, 5, 0.5)});
  Tensor eps = rnd64({3, 4}, 6);
  gradcheck("reparameterize", [&](const V& v) { return reparameterize(v[0], v[1], eps); },
            {rnd64({3, 4}, 7), rnd64({3, 4}, 8, 0.5)});
  Tensor target = rnd64({2, 3, 4, 4}, 9);
  gradcheck("vae_loss (kl weight 0.1)", [&](const V& v) { return vae_loss(v[0], target, v[1], v[2], 0.1).total; },
            {rnd64({2, 3, 4, 4}, 10), rnd64({2, 5}, 11), rnd64({2, 5}, 12, 0.5)});
}

TEST_CASE("gradcheck: chunked rotation, adaptive pooling, location selection") {
  gradcheck("rotate_chunks", [](const V& v) { return rotate_chunks(v[0]).x; }, {rnd64({4, 2, 3, 3}, 13)});
  gradcheck("adaptive_avg_pool2d 6->4", [](const V& v) { return adaptive_avg_pool2d(v[0], 4); }, {rnd64({2, 2, 6, 6}, 14)});
  gradcheck("adaptive_avg_pool2d 3->5", [](const V& v) { return adaptive_avg_pool2d(v[0], 5); }, {rnd64({1, 2, 3, 3}, 15)});
  gradcheck("select_locations", [](const V& v) { return select_locations(v[0], {2, 0, 5}); }, {rnd64({3, 4, 6}, 16)});
}

TEST_CASE("gradcheck: CMC NCE-softmax through L2 normalisation") {
  Tensor wl = l2_normalize(rnd64({3 * 5, 4}, 17)), wab = l2_normalize(rnd64({3 * 5, 4}, 18));
  wl = reshape(wl, {3, 5, 4}).detach();
  wab = reshape(wab, {3, 5, 4}).detach();
  gradcheck("cmc_nce_loss",
            [&](const V& v) { return cmc_nce_loss(l2_normalize(v[0]), l2_normalize(v[1]), wl, wab, 0.1).total; },
            {rnd64({3, 4}, 19), rnd64({3, 4}, 20)});
}

TEST_CASE("gradcheck: AMDIM NCE term and the full symmetrised objective") {
  gradcheck("amdim_nce clip 3", [](const V& v) { return amdim_nce(v[0], v[1], 3.0).loss; },
            {rnd64({3, 4}, 21, 2.0), rnd64({3, 4, 5}, 22, 2.0)});
  gradcheck("amdim_nce reg", [](const V& v) { return amdim_nce(v[0], v[1], 3.0).reg; },
            {rnd64({3, 4}, 23), rnd64({3, 4, 5}, 24)});
  gradcheck("amdim_loss",
            [](const V& v) { return amdim_loss(v[0], v[1], v[2], v[3], v[4], v[5], {0, 3}, {1, 2}, 5.0).total; },
            {rnd64({2, 3}, 25, 2.0), rnd64({2, 3, 2, 2}, 26, 2.0), rnd64({2, 3, 3, 3}, 27, 2.0),
             rnd64({2, 3}, 28, 2.0), rnd64({2, 3, 2, 2}, 29, 2.0), rnd64({2, 3, 3, 3}, 30, 2.0)});
}
