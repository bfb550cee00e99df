// The pretext objectives as plain differentiable functions of tensors (REFERENCE §4), so
// each can be checked against PyTorch on fixed inputs (tests/fixtures/pretext) and in
// double precision against central differences. Everything here is built from engine ops
// and runs on any device the ops support.
#pragma once
#include <cstdint>
#include <vector>

#include "ss/tensor.h"

namespace ss::pretext {

// ---------------------------------------------------------------------------- VAE
// z = mu + exp(0.5 * logvar) * eps  (eps ~ N(0, 1), supplied by the caller).
Tensor reparameterize(const Tensor& mu, const Tensor& logvar, const Tensor& eps);
// KL(N(mu, sigma^2) || N(0, 1)) summed over batch and dims:
// -0.5 * sum(1 + logvar - mu^2 - exp(logvar)). Scalar.
Tensor kl_divergence(const Tensor& mu, const Tensor& logvar);
struct VaeLoss {
  Tensor total;  // mse + kl_weight * kl
  Tensor mse;    // mean over elements
  Tensor kl;     // summed
};
VaeLoss vae_loss(const Tensor& recon, const Tensor& target, const Tensor& mu,
                 const Tensor& logvar, double kl_weight = 1e-5);

// ----------------------------------------------------------------------- Rotation
// Splits x[B, C, R, R] (B divisible by 4) into 4 equal chunks in batch order and rotates
// chunk k by k * 90 degrees counter-clockwise (ss::rot90, = torch.rot90(x, k, (2, 3))).
// labels: i64 [B] on x's device, chunk index k.
struct RotatedBatch {
  Tensor x, labels;
};
RotatedBatch rotate_chunks(const Tensor& x);

// ---------------------------------------------------------------------------- CMC
// NCE-softmax in both directions. f_l, f_ab: [B, D] L2-normalised embeddings (with
// grad); w_l, w_ab: [B, K+1, D] memory-bank rows at the sampled indices (row 0 = the
// sample's own index), without grad.
//   logits_ab = (w_l . f_ab) / T    (ab embedding scored against the L bank)
//   logits_l  = (w_ab . f_l) / T    (L embedding scored against the ab bank)
//   loss = CE(logits_l, 0) + CE(logits_ab, 0)
struct CmcLoss {
  Tensor total, loss_l, loss_ab;
  Tensor logits_l, logits_ab;  // [B, K+1]
};
CmcLoss cmc_nce_loss(const Tensor& f_l, const Tensor& f_ab, const Tensor& w_l,
                     const Tensor& w_ab, double temperature);
// Fraction of rows of logits [B, C] whose largest entry is column 0 (the positive; a tie
// with it counts as a hit), as a 0-d tensor on the logits' device.
Tensor positive_accuracy(const Tensor& logits);

// -------------------------------------------------------------------------- AMDIM
// PyTorch's adaptive_avg_pool2d (window [floor(i*H/out), ceil((i+1)*H/out))) of
// x[N, C, H, W] to out x out, computed as one matmul with a constant pooling matrix.
Tensor adaptive_avg_pool2d(const Tensor& x, int out);
// Picks one location per image: x[B, D, L] -> [B, D] with out[b] = x[b, :, loc[b]].
Tensor select_locations(const Tensor& x, const std::vector<int64_t>& loc);

// One NCE term (the authors' NCE_MI_MULTI._model_scores / _loss_g2l, from AMDIM):
//   s[i, j, l] = src_i . trg_{j, l} / sqrt(D)          src [B, D], trg [B, D, L]
//   reg        = reg_weight * mean(s^2)                 (before clipping)
//   s          = clip * tanh(s / clip)
//   loss       = -mean_{i, l} log( e^{s[i,i,l]} / (e^{s[i,i,l]} + sum_{j != i, l'} e^{s[i,j,l']}) )
// i.e. every location of the same image in the other view is a positive, scored against
// every location of every other image as negatives.
struct NceTerm {
  Tensor loss, reg;
  Tensor scores;  // clipped scores [B, B*L], detached (for accuracies)
};
NceTerm amdim_nce(const Tensor& src, const Tensor& trg, double clip, double reg_weight = 0.05);
// Image-level retrieval accuracy from clipped scores [B, B*L]: for each source i, the
// target image j with the highest mean score over its L locations; correct when j == i.
// A 0-d tensor on the scores' device.
Tensor retrieval_accuracy(const Tensor& scores, int64_t batch);

// The full AMDIM objective, symmetrised over the two views (x1, x2):
//   0.5 * [NCE(r1_1 -> r5_2) + NCE(r1_2 -> r5_1)]   "1t5"
// + 0.5 * [NCE(r1_1 -> r7_2) + NCE(r1_2 -> r7_1)]   "1t7"
// + 0.5 * [NCE(r5_1[loc1] -> r5_2) + NCE(r5_2[loc2] -> r5_1)]   "5t5"
// + 0.5 * (sum of the six regularisers)
// r1 [B, D]; r5 [B, D, 5, 5]; r7 [B, D, 7, 7] (any spatial size works); loc1/loc2: one
// source location of r5 per image (index into the flattened map).
struct AmdimLoss {
  Tensor total, l1t5, l1t7, l5t5, reg;
  Tensor acc_1t5;  // retrieval accuracy of the r1 -> r5 term, both views averaged (0-d)
};
AmdimLoss amdim_loss(const Tensor& r1_1, const Tensor& r5_1, const Tensor& r7_1,
                     const Tensor& r1_2, const Tensor& r5_2, const Tensor& r7_2,
                     const std::vector<int64_t>& loc1, const std::vector<int64_t>& loc2,
                     double clip = 30.0, double reg_weight = 0.05);

// ---------------------------------------------------------------- seeded integers
// Counter-based (splitmix64) random integers in [0, n): a pure function of
// (seed, stream, step, i), so sampling is reproducible and resumes exactly.
uint64_t mix_seed(uint64_t seed, uint64_t stream, uint64_t step);
std::vector<int64_t> random_indices(uint64_t key, int64_t count, int64_t n);

}  // namespace ss::pretext
