// CMC (REFERENCE §4, the authors' models/cmc.py): the L channel and the ab channels of the
// normalised LAB input go through two half-width encoders (resnet9_half / resnet50_half,
// in_channels 1 and 2, out_feats 128), giving L2-normalised embeddings f_l, f_ab. Each view
// has a memory bank of N x D rows (N = train split size), initialised uniform in
// [-1/sqrt(D/3), 1/sqrt(D/3)]. Per step: K negatives per sample drawn uniformly (with
// replacement, seeded) from [0, N), row 0 = the sample's own dataset index; NCE-softmax
// in both directions (cmc_nce_loss, temperature T); then the banks are updated at the
// batch indices, v <- normalise(m v + (1 - m) f), m = 0.2 (no grad).
// Metrics: acc_l, acc_ab (positive logit is the row maximum; chance 1/(K+1)), acc (mean).
#pragma once
#include <memory>
#include <vector>

#include "ss/pretext/method.h"

namespace ss::pretext {

// One memory bank: buffer "memory" [N, D] on the module's device.
class MemoryBank : public nn::Module {
 public:
  MemoryBank(int64_t n, int64_t dim, uint64_t seed);
  // Rows at idx (i64, any shape, host or device) -> [idx..., D], no grad. CPU: a direct
  // row copy loop; CUDA: ss::index_select.
  Tensor gather(const Tensor& idx) const;
  // v[idx[b]] <- l2_normalize(m * v[idx[b]] + (1 - m) * f[b]) for every b (f detached).
  void update(const std::vector<int64_t>& idx, const Tensor& f, double momentum);
  int64_t size() const { return memory.size(0); }
  int64_t dim() const { return memory.size(1); }
  Tensor memory;
};

class Cmc : public Method {
 public:
  explicit Cmc(const MethodConfig& cfg);
  StepOutput step(const data::Batch& b, int64_t step) override;
  // The two-stream downstream model (two_stream.h), rebuilt from the current encoders.
  std::shared_ptr<models::FeatureNet> downstream() override;
  data::AugmentConfig augmentation() const override;

  // L2-normalised embeddings of the L and ab channels of x[B, 3, R, R].
  std::pair<Tensor, Tensor> embed(const Tensor& x);
  // The [B, K+1] index matrix of a step: column 0 = idx, the rest uniform in [0, N).
  std::vector<int64_t> sample_indices(const std::vector<int64_t>& idx, int64_t step) const;

  std::shared_ptr<models::FeatureNet> encoder_l, encoder_ab;
  std::shared_ptr<MemoryBank> bank_l, bank_ab;
};

}  // namespace ss::pretext
