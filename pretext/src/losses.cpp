#include "ss/pretext/losses.h"

#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

#include "ss/amp.h"
#include "ss/autograd.h"
#include "ss/ops.h"

namespace ss::pretext {
namespace {

// A host-built constant (no grad) with x's dtype and device.
Tensor constant_like(const std::vector<double>& v, const Shape& shape, const Tensor& like) {
  return Tensor::from_vector(v, shape).to(like.dtype()).to(like.device());
}

// Constant masks over [B, B*L] scores, cached by geometry: the positives' block of row i
// is columns [i*L, (i+1)*L).
//   negbig: -kBig on positives, 0 elsewhere (added before the log-softmax over negatives)
//   wneg  : 1 / ((B-1) L) on negatives, 0 on positives (averages the per-column LSE)
constexpr double kBig = 1e4;
struct Masks {
  Tensor negbig, wneg, ones_row;  // ones_row: [1, L]
};
const Masks& nce_masks(int64_t B, int64_t L, const Tensor& like) {
  static std::mutex mu;
  static std::map<std::tuple<int64_t, int64_t, int, int, int>, Masks> cache;
  std::lock_guard<std::mutex> lock(mu);
  const auto key = std::make_tuple(B, L, int(like.dtype()), int(like.device().type),
                                   int(like.device().index));
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() > 16) cache.clear();  // geometries change rarely; bound the memory
  std::vector<double> nb(size_t(B * B * L), 0.0), wn(size_t(B * B * L), 0.0);
  const double w = 1.0 / double((B - 1) * L);
  for (int64_t i = 0; i < B; ++i)
    for (int64_t c = 0; c < B * L; ++c) {
      const bool pos = c / L == i;
      nb[size_t(i * B * L + c)] = pos ? -kBig : 0.0;
      wn[size_t(i * B * L + c)] = pos ? 0.0 : w;
    }
  Masks m;
  m.negbig = constant_like(nb, {B, B * L}, like);
  m.wneg = constant_like(wn, {B, B * L}, like);
  m.ones_row = constant_like(std::vector<double>(size_t(L), 1.0), {1, L}, like);
  return cache.emplace(key, std::move(m)).first->second;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

// ---------------------------------------------------------------------------- VAE
Tensor reparameterize(const Tensor& mu, const Tensor& logvar, const Tensor& eps) {
  SS_CHECK(mu.shape() == logvar.shape() && mu.shape() == eps.shape(),
           "reparameterize: mu ", mu.desc(), ", logvar ", logvar.desc(), ", eps ", eps.desc(),
           " must have one shape");
  return add(mu, mul(exp(scale(logvar, 0.5)), eps));
}

Tensor kl_divergence(const Tensor& mu, const Tensor& logvar) {
  SS_CHECK(mu.shape() == logvar.shape(), "kl_divergence: mu ", mu.desc(), " vs logvar ",
           logvar.desc());
  // -0.5 * sum(1 + logvar - mu^2 - exp(logvar))
  Tensor t = sub(sub(logvar, mul(mu, mu)), exp(logvar));
  return scale(sum(add_scalar(t, 1.0)), -0.5);
}

VaeLoss vae_loss(const Tensor& recon, const Tensor& target, const Tensor& mu,
                 const Tensor& logvar, double kl_weight) {
  SS_CHECK(recon.shape() == target.shape(), "vae_loss: reconstruction ", recon.desc(),
           " vs target ", target.desc());
  VaeLoss l;
  l.mse = mse_loss(recon, target.detach());
  l.kl = kl_divergence(mu, logvar);
  l.total = add(l.mse, scale(l.kl, kl_weight));
  return l;
}

// ----------------------------------------------------------------------- Rotation
RotatedBatch rotate_chunks(const Tensor& x) {
  SS_CHECK(x.dim() == 4 && x.size(2) == x.size(3), "rotate_chunks: expects square images [B,C,R,R], got ",
           x.desc());
  const int64_t B = x.size(0);
  SS_CHECK(B >= 4 && B % 4 == 0, "rotate_chunks: batch ", B, " must be a positive multiple of 4");
  const int64_t q = B / 4;
  std::vector<Tensor> parts;
  std::vector<int64_t> labels(static_cast<size_t>(B));
  for (int k = 0; k < 4; ++k) {
    parts.push_back(rot90(slice(x, 0, k * q, (k + 1) * q), k));
    for (int64_t i = 0; i < q; ++i) labels[size_t(k * q + i)] = k;
  }
  return {concat(parts, 0), Tensor::from_vector(labels, {B}).to(x.device())};
}

// ---------------------------------------------------------------------------- CMC
CmcLoss cmc_nce_loss(const Tensor& f_l, const Tensor& f_ab, const Tensor& w_l,
                     const Tensor& w_ab, double temperature) {
  SS_CHECK(f_l.dim() == 2 && f_l.shape() == f_ab.shape(), "cmc_nce_loss: embeddings ", f_l.desc(),
           " and ", f_ab.desc(), " must be [B, D]");
  const int64_t B = f_l.size(0), D = f_l.size(1);
  SS_CHECK(w_l.dim() == 3 && w_l.size(0) == B && w_l.size(2) == D && w_ab.shape() == w_l.shape(),
           "cmc_nce_loss: bank rows ", w_l.desc(), " / ", w_ab.desc(), " must be [", B, ", K+1, ", D, "]");
  SS_CHECK(temperature > 0, "cmc_nce_loss: temperature must be > 0");
  const int64_t K1 = w_l.size(1);
  auto score = [&](const Tensor& w, const Tensor& f) {
    return scale(reshape(matmul(w.detach(), reshape(f, {B, D, 1})), {B, K1}), 1.0 / temperature);
  };
  CmcLoss out;
  out.logits_ab = score(w_l, f_ab);
  out.logits_l = score(w_ab, f_l);
  Tensor zeros = Tensor::zeros({B}, DType::I64, f_l.device());
  out.loss_l = cross_entropy(out.logits_l, zeros);
  out.loss_ab = cross_entropy(out.logits_ab, zeros);
  out.total = add(out.loss_l, out.loss_ab);
  return out;
}

Tensor positive_accuracy(const Tensor& logits) {
  SS_CHECK(logits.dim() == 2, "positive_accuracy: logits must be [B, C], got ", logits.desc());
  return top1_accuracy(logits, Tensor::zeros({logits.size(0)}, DType::I64, logits.device()));
}

// -------------------------------------------------------------------------- AMDIM
Tensor adaptive_avg_pool2d(const Tensor& x, int out) {
  SS_CHECK(x.dim() == 4 && out >= 1, "adaptive_avg_pool2d: expects [N,C,H,W] and out >= 1, got ",
           x.desc(), " -> ", out);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  if (H == out && W == out) return x;
  // P[(y*W + x), (i*out + j)] = 1 / (|rows_i| |cols_j|) inside window (i, j).
  std::vector<double> P(size_t(H * W * out * out), 0.0);
  auto lo = [](int64_t i, int64_t in, int64_t o) { return (i * in) / o; };
  auto hi = [](int64_t i, int64_t in, int64_t o) { return ((i + 1) * in + o - 1) / o; };
  for (int64_t i = 0; i < out; ++i)
    for (int64_t j = 0; j < out; ++j) {
      const int64_t y0 = lo(i, H, out), y1 = hi(i, H, out), x0 = lo(j, W, out), x1 = hi(j, W, out);
      const double w = 1.0 / double((y1 - y0) * (x1 - x0));
      for (int64_t y = y0; y < y1; ++y)
        for (int64_t xx = x0; xx < x1; ++xx) P[size_t((y * W + xx) * out * out + i * out + j)] = w;
    }
  Tensor Pt = constant_like(P, {H * W, int64_t(out) * out}, x);
  return reshape(matmul(reshape(x, {N * C, H * W}), Pt), {N, C, out, out});
}

Tensor select_locations(const Tensor& x, const std::vector<int64_t>& loc) {
  SS_CHECK(x.dim() == 3 && int64_t(loc.size()) == x.size(0), "select_locations: x ", x.desc(),
           " with ", loc.size(), " locations");
  const int64_t B = x.size(0), D = x.size(1), L = x.size(2);
  std::vector<int64_t> rows(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    SS_CHECK(loc[size_t(b)] >= 0 && loc[size_t(b)] < L, "select_locations: location ",
             loc[size_t(b)], " outside [0, ", L, ")");
    rows[size_t(b)] = b * L + loc[size_t(b)];
  }
  Tensor flat = reshape(permute(x, {0, 2, 1}), {B * L, D});  // [B*L, D]
  return index_select(flat, Tensor::from_vector(rows, {B}));
}

NceTerm amdim_nce(const Tensor& src, const Tensor& trg, double clip, double reg_weight) {
  SS_CHECK(src.dim() == 2 && trg.dim() == 3 && trg.size(0) == src.size(0) && trg.size(1) == src.size(1),
           "amdim_nce: src ", src.desc(), " must be [B, D] and trg ", trg.desc(), " [B, D, L]");
  const int64_t B = src.size(0), D = src.size(1), L = trg.size(2);
  SS_CHECK(B >= 2, "amdim_nce: needs at least 2 images for negatives, got ", B);
  const double inv = 1.0 / std::sqrt(double(D));

  Tensor trg_t = reshape(permute(trg, {1, 0, 2}), {D, B * L});  // [D, B*L]
  Tensor raw = scale(matmul(src, trg_t), inv);                  // [B, B*L]
  NceTerm out;
  out.reg = scale(mean(mul(raw, raw)), reg_weight);
  Tensor cl = softclip(raw, clip);
  // The masks follow the clipped scores, which are f32 even under autocast (softclip
  // computes in f32), so the log-sum-exp below stays f32 throughout.
  const Masks& m = nce_masks(B, L, cl);
  // Positive scores s[i, i, l]: the diagonal blocks, computed directly ([B,1,D] x [B,D,L]).
  Tensor pos = softclip(scale(reshape(matmul(reshape(src, {B, 1, D}), trg), {B, L}), inv), clip);
  // log-sum-exp over each row's negatives: positives pushed to -1e4 (exp underflows to 0),
  // then LSE_i = M[i,k] - log_softmax(M)[i,k] for any negative column k (averaged).
  Tensor M = add(cl, m.negbig);
  Tensor lse = sum(mul(sub(M, log_softmax(M, 1)), m.wneg), 1);          // [B]
  Tensor lse_bl;  // [B, L]; a broadcast as a product, kept out of autocast's f16 matmul
  {
    AutocastOff f32;
    lse_bl = matmul(reshape(lse, {B, 1}), m.ones_row);
  }
  // -log( e^pos / (e^pos + e^lse) ) = CE over the two logits [pos, lse] with target 0.
  Tensor logits2 = concat({reshape(pos, {B * L, 1}), reshape(lse_bl, {B * L, 1})}, 1);
  out.loss = cross_entropy(logits2, Tensor::zeros({B * L}, DType::I64, src.device()));
  out.scores = cl.detach();
  return out;
}

Tensor retrieval_accuracy(const Tensor& scores, int64_t B) {
  SS_CHECK(scores.dim() == 2 && scores.size(0) == B && scores.size(1) % B == 0,
           "retrieval_accuracy: scores ", scores.desc(), " for batch ", B);
  NoGradGuard ng;
  const int64_t L = scores.size(1) / B;
  // Sums over locations rank like means; the argmax is taken on the device.
  Tensor per_image = sum(reshape(scores.detach(), {B, B, L}), 2);
  std::vector<int64_t> self(static_cast<size_t>(B));
  for (int64_t i = 0; i < B; ++i) self[size_t(i)] = i;
  return top1_accuracy(per_image, Tensor::from_vector(self, {B}, scores.device()));
}

AmdimLoss amdim_loss(const Tensor& r1_1, const Tensor& r5_1, const Tensor& r7_1,
                     const Tensor& r1_2, const Tensor& r5_2, const Tensor& r7_2,
                     const std::vector<int64_t>& loc1, const std::vector<int64_t>& loc2,
                     double clip, double reg_weight) {
  const int64_t B = r1_1.size(0), D = r1_1.size(1);
  auto flat = [&](const Tensor& r) {
    SS_CHECK(r.dim() == 4 && r.size(0) == B && r.size(1) == D, "amdim_loss: map ", r.desc(),
             " must be [", B, ", ", D, ", h, w]");
    return reshape(r, {B, D, r.size(2) * r.size(3)});
  };
  Tensor f5_1 = flat(r5_1), f5_2 = flat(r5_2), f7_1 = flat(r7_1), f7_2 = flat(r7_2);
  NceTerm a1 = amdim_nce(r1_1, f5_2, clip, reg_weight), a2 = amdim_nce(r1_2, f5_1, clip, reg_weight);
  NceTerm b1 = amdim_nce(r1_1, f7_2, clip, reg_weight), b2 = amdim_nce(r1_2, f7_1, clip, reg_weight);
  NceTerm c1 = amdim_nce(select_locations(f5_1, loc1), f5_2, clip, reg_weight);
  NceTerm c2 = amdim_nce(select_locations(f5_2, loc2), f5_1, clip, reg_weight);
  AmdimLoss out;
  out.l1t5 = scale(add(a1.loss, a2.loss), 0.5);
  out.l1t7 = scale(add(b1.loss, b2.loss), 0.5);
  out.l5t5 = scale(add(c1.loss, c2.loss), 0.5);
  out.reg = scale(add(add(add(a1.reg, a2.reg), add(b1.reg, b2.reg)), add(c1.reg, c2.reg)), 0.5);
  out.total = add(add(out.l1t5, out.l1t7), add(out.l5t5, out.reg));
  out.acc_1t5 = scale(add(retrieval_accuracy(a1.scores, B), retrieval_accuracy(a2.scores, B)), 0.5);
  return out;
}

// ---------------------------------------------------------------- seeded integers
uint64_t mix_seed(uint64_t seed, uint64_t stream, uint64_t step) {
  return splitmix64(splitmix64(splitmix64(seed) ^ (stream * 0xD6E8FEB86659FD93ull)) ^ step);
}

std::vector<int64_t> random_indices(uint64_t key, int64_t count, int64_t n) {
  SS_CHECK(n > 0, "random_indices: empty range");
  std::vector<int64_t> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t r = splitmix64(key + uint64_t(i) * 0x9E3779B97F4A7C15ull);
    out[size_t(i)] = int64_t((unsigned __int128)r * uint64_t(n) >> 64);  // unbiased enough: n << 2^64
  }
  return out;
}

}  // namespace ss::pretext
