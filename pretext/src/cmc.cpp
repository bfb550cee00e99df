#include "ss/pretext/cmc.h"

#include <cmath>

#include "ss/autograd.h"
#include "ss/ops.h"
#include "ss/pretext/losses.h"
#include "ss/pretext/two_stream.h"

namespace ss::pretext {

// ------------------------------------------------------------------- MemoryBank
MemoryBank::MemoryBank(int64_t n, int64_t dim, uint64_t seed) {
  SS_CHECK(n > 0 && dim > 0, "memory bank: needs n > 0 rows and dim > 0, got ", n, " x ", dim);
  const double stdv = 1.0 / std::sqrt(double(dim) / 3.0);
  memory = register_buffer("memory", Tensor::uniform({n, dim}, -stdv, stdv, seed));
}

Tensor MemoryBank::gather(const Tensor& idx_in) const {
  Tensor idx = idx_in.to(Device::cpu()).contiguous();
  SS_CHECK(idx.dtype() == DType::I64, "memory bank: indices must be i64, got ", idx.desc());
  const int64_t N = size(), n = idx.numel();
  const int64_t* ip = idx.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    SS_CHECK(ip[i] >= 0 && ip[i] < N, "memory bank: index ", ip[i], " outside [0, ", N, ")");
  NoGradGuard ng;
  return index_select(memory, idx);
}

void MemoryBank::update(const std::vector<int64_t>& idx, const Tensor& f, double m) {
  const int64_t B = int64_t(idx.size()), D = dim();
  SS_CHECK(f.dim() == 2 && f.size(0) == B && f.size(1) == D, "memory bank: update with ", f.desc(),
           " for ", B, " indices of dim ", D);
  NoGradGuard ng;
  Tensor rows = gather(Tensor::from_vector(idx, {B}));
  Tensor fresh = l2_normalize(add(scale(rows, m), scale(f.detach().to(memory.dtype()), 1.0 - m)));
  index_copy_(memory, Tensor::from_vector(idx, {B}), fresh);
}

// -------------------------------------------------------------------------- Cmc
namespace {
std::string half_arch(const std::string& arch) {
  if (arch == "resnet9" || arch == "resnet9_half") return "resnet9_half";
  if (arch == "resnet50" || arch == "resnet50_half") return "resnet50_half";
  SS_FAIL("cmc: model '", arch, "' has no half-width variant (use resnet9 or resnet50)");
}
}  // namespace

Cmc::Cmc(const MethodConfig& cfg) : Method(cfg) {
  SS_CHECK(cfg.bank_size > 0, "cmc: MethodConfig.bank_size (train split size) must be set");
  SS_CHECK(cfg.nce_k >= 1, "cmc: nce_k must be >= 1");
  models::ModelConfig m = cfg.model;
  m.arch = half_arch(cfg.model.arch);
  const int D = cfg.model.out_feats;
  encoder_l = register_module("encoder_l", make_encoder(m, 1, D));
  encoder_ab = register_module("encoder_ab", make_encoder(m, 2, D));
  bank_l = register_module("bank_l", std::make_shared<MemoryBank>(cfg.bank_size, D, mix_seed(cfg.seed, 10, 0)));
  bank_ab = register_module("bank_ab", std::make_shared<MemoryBank>(cfg.bank_size, D, mix_seed(cfg.seed, 11, 0)));
}

data::AugmentConfig Cmc::augmentation() const {
  data::AugmentConfig a;
  a.color_jitter = false;  // config/syn/r9/cmc.gin
  return a;
}

std::pair<Tensor, Tensor> Cmc::embed(const Tensor& x) {
  SS_CHECK(x.dim() == 4 && x.size(1) == 3, "cmc: expects LAB images [B, 3, R, R], got ", x.desc());
  Tensor fl = l2_normalize(encoder_l->features(slice(x, 1, 0, 1)));
  Tensor fab = l2_normalize(encoder_ab->features(slice(x, 1, 1, 3)));
  return {fl, fab};
}

std::vector<int64_t> Cmc::sample_indices(const std::vector<int64_t>& idx, int64_t step) const {
  const int64_t B = int64_t(idx.size()), K = cfg_.nce_k;
  std::vector<int64_t> neg = random_indices(mix_seed(cfg_.seed, 2, uint64_t(step)), B * K, cfg_.bank_size);
  std::vector<int64_t> out(size_t(B * (K + 1)));
  for (int64_t b = 0; b < B; ++b) {
    out[size_t(b * (K + 1))] = idx[size_t(b)];
    std::copy(neg.begin() + b * K, neg.begin() + (b + 1) * K, out.begin() + b * (K + 1) + 1);
  }
  return out;
}

StepOutput Cmc::step(const data::Batch& b, int64_t step) {
  const int64_t B = b.size(), K = cfg_.nce_k;
  // The loader's host copy of the indices: reading b.index would wait for the device.
  std::vector<int64_t> idx = (b.index_host.defined() ? b.index_host : b.index).to_vector<int64_t>();
  for (int64_t i : idx)
    SS_CHECK(i >= 0 && i < cfg_.bank_size, "cmc: dataset index ", i, " outside the memory bank [0, ",
             cfg_.bank_size, ") (CMC pretrains on the train split)");
  auto [fl, fab] = embed(b.x);
  Tensor all = Tensor::from_vector(sample_indices(idx, step), {B, K + 1});
  CmcLoss l = cmc_nce_loss(fl, fab, bank_l->gather(all), bank_ab->gather(all), cfg_.nce_t);
  bank_l->update(idx, fl, cfg_.nce_m);
  bank_ab->update(idx, fab, cfg_.nce_m);
  StepOutput out;
  out.loss = l.total;
  const Tensor al = positive_accuracy(l.logits_l), aab = positive_accuracy(l.logits_ab);
  out.metrics = {{"acc", scale(add(al, aab), 0.5)}, {"acc_l", al}, {"acc_ab", aab},
                 {"loss_l", l.loss_l.detach()}, {"loss_ab", l.loss_ab.detach()}};
  return out;
}

std::shared_ptr<models::FeatureNet> Cmc::downstream() {
  return assemble_two_stream(*encoder_l, *encoder_ab, half_arch(cfg_.model.arch), cfg_.model.width);
}

}  // namespace ss::pretext
