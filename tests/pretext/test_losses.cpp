// The pretext losses against PyTorch (tests/fixtures/pretext/make_pretext_fixtures.py:
// the authors' formulas evaluated in float64 on the stored float32 inputs), value and
// gradient, in float32 on the CPU.
#include <doctest/doctest.h>

#include "pretext_test_util.h"
#include "ss/pretext/cmc.h"
#include "ss/pretext/losses.h"

using namespace ss;
using namespace ss::pretext;
using namespace ss::pretext::testing;

TEST_CASE("VAE loss (MSE + 1e-5 KL), KL and reparameterisation match PyTorch") {
  Tensor recon = fx_leaf("vae.recon"), mu = fx_leaf("vae.mu"), logvar = fx_leaf("vae.logvar");
  VaeLoss l = vae_loss(recon, fx("vae.target"), mu, logvar, 1e-5);
  check_close(l.total, fx("vae.loss"), "vae loss");
  check_close(l.mse, fx("vae.mse"), "vae mse");
  check_close(l.kl, fx("vae.kl"), "vae kl", 1e-4);
  l.total.backward();
  check_close(recon.grad(), fx("vae.d_recon"), "d loss / d recon", 1e-7);
  check_close(mu.grad(), fx("vae.d_mu"), "d loss / d mu", 1e-9);
  check_close(logvar.grad(), fx("vae.d_logvar"), "d loss / d logvar", 1e-9);

  Tensor mu2 = fx_leaf("vae.mu"), lv2 = fx_leaf("vae.logvar");
  kl_divergence(mu2, lv2).backward();
  check_close(mu2.grad(), fx("vae.kl_d_mu"), "d KL / d mu");
  check_close(lv2.grad(), fx("vae.kl_d_logvar"), "d KL / d logvar");

  Tensor mu3 = fx_leaf("vae.mu"), lv3 = fx_leaf("vae.logvar");
  Tensor z = reparameterize(mu3, lv3, fx("vae.eps"));
  check_close(z, fx("vae.z"), "z");
  sum(mul(z, fx("vae.gz"))).backward();
  check_close(mu3.grad(), fx("vae.z_d_mu"), "d z / d mu");
  check_close(lv3.grad(), fx("vae.z_d_logvar"), "d z / d logvar");
}

TEST_CASE("rotation: chunked rot90 batch, labels, CE and gradients match PyTorch") {
  Tensor x = fx_leaf("rot.x"), w = fx_leaf("rot.w"), b = fx_leaf("rot.b");
  RotatedBatch rb = rotate_chunks(x);
  check_close(rb.x, fx("rot.x_rot"), "rotated batch", 0, 0);
  CHECK(rb.labels.to_vector<int64_t>() == fx("rot.labels").to_vector<int64_t>());
  Tensor logits = linear(global_avg_pool(rb.x), w, b);
  check_close(logits, fx("rot.logits"), "logits");
  Tensor loss = cross_entropy(logits, rb.labels);
  check_close(loss, fx("rot.loss"), "loss");
  loss.backward();
  check_close(x.grad(), fx("rot.dx"), "dx");
  check_close(w.grad(), fx("rot.dw"), "dw");
  check_close(b.grad(), fx("rot.db"), "db");
}

TEST_CASE("CMC: NCE-softmax both directions with a given bank and indices, and the memory update") {
  const Tensor bl = fx("cmc.bank_l"), bab = fx("cmc.bank_ab");
  MemoryBank bank_l(bl.size(0), bl.size(1), 1), bank_ab(bab.size(0), bab.size(1), 2);
  bank_l.memory.copy_(bl);
  bank_ab.memory.copy_(bab);
  Tensor fl_raw = fx_leaf("cmc.fl_raw"), fab_raw = fx_leaf("cmc.fab_raw");
  Tensor fl = l2_normalize(fl_raw), fab = l2_normalize(fab_raw);
  const Tensor idx = fx("cmc.idx");
  Tensor wl = bank_l.gather(idx), wab = bank_ab.gather(idx);
  CHECK(wl.shape() == Shape{idx.size(0), idx.size(1), bl.size(1)});
  CHECK(!wl.requires_grad());
  CmcLoss l = cmc_nce_loss(fl, fab, wl, wab, 0.1);
  check_close(l.logits_l, fx("cmc.logits_l"), "logits L (ab bank)");
  check_close(l.logits_ab, fx("cmc.logits_ab"), "logits ab (L bank)");
  check_close(l.loss_l, fx("cmc.loss_l"), "loss L");
  check_close(l.loss_ab, fx("cmc.loss_ab"), "loss ab");
  check_close(l.total, fx("cmc.loss"), "loss");
  l.total.backward();
  check_close(fl_raw.grad(), fx("cmc.d_fl_raw"), "d loss / d f_l (before normalisation)");
  check_close(fab_raw.grad(), fx("cmc.d_fab_raw"), "d loss / d f_ab (before normalisation)");

  const std::vector<int64_t> y = fx("cmc.y").to_vector<int64_t>();
  bank_l.update(y, fl, 0.2);
  bank_ab.update(y, fab, 0.2);
  check_close(bank_l.memory, fx("cmc.bank_l_new"), "updated L bank");
  check_close(bank_ab.memory, fx("cmc.bank_ab_new"), "updated ab bank");

  // positive accuracy: row argmax == 0
  Tensor lg = Tensor::from_vector(std::vector<float>{3, 1, 2, 0, 5, 1, 9, 1, 1}, {3, 3});
  CHECK(positive_accuracy(lg).item() == doctest::Approx(2.0 / 3.0));  // rows 0 and 2

  // retrieval accuracy: B = 2 images x L = 2 locations; row i is right when image i has
  // the largest summed score. Row 0: image sums 2 vs 3 (miss); row 1: 5 vs 6 (hit).
  Tensor sc = Tensor::from_vector(std::vector<float>{1, 1, 0, 3, 5, 0, 2, 4}, {2, 4});
  CHECK(retrieval_accuracy(sc, 2).item() == 0.5);
}

TEST_CASE("AMDIM: NCE with soft clip and regulariser (authors' LossMultiNCE) matches PyTorch") {
  for (const char* c : {"a", "b"}) {
    CAPTURE(c);
    const std::string p = std::string("amdim_") + c + ".";
    const double tclip = std::string(c) == "a" ? 30.0 : 10.0;
    std::vector<std::string> names = {"r1_1", "r5_1", "r7_1", "r1_2", "r5_2", "r7_2"};
    std::vector<Tensor> in;
    for (auto& n : names) in.push_back(fx_leaf(p + n));
    AmdimLoss l = amdim_loss(in[0], in[1], in[2], in[3], in[4], in[5], fx(p + "loc1").to_vector<int64_t>(),
                             fx(p + "loc2").to_vector<int64_t>(), tclip, 0.05);
    check_close(l.l1t5, fx(p + "l1t5"), "loss 1t5");
    check_close(l.l1t7, fx(p + "l1t7"), "loss 1t7");
    check_close(l.l5t5, fx(p + "l5t5"), "loss 5t5");
    check_close(l.reg, fx(p + "reg"), "regulariser");
    check_close(l.total, fx(p + "total"), "total");
    l.total.backward();
    for (size_t i = 0; i < names.size(); ++i) check_close(in[i].grad(), fx(p + "d_" + names[i]), "d total / d " + names[i]);
  }
}

TEST_CASE("adaptive average pooling matches F.adaptive_avg_pool2d (down and up)") {
  for (const char* n : {"p16to7", "p8to5", "p4to5", "p9to7"}) {
    CAPTURE(n);
    const std::string p = n;
    Tensor x = fx_leaf(p + ".x");
    const int out = int(fx(p + ".y").size(2));
    Tensor y = adaptive_avg_pool2d(x, out);
    check_close(y, fx(p + ".y"), "pooled");
    sum(mul(y, fx(p + ".gy"))).backward();
    check_close(x.grad(), fx(p + ".dx"), "dx");
  }
}
