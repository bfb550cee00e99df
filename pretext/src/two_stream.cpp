#include "ss/pretext/two_stream.h"

#include "ss/autograd.h"
#include "ss/models/resnet.h"
#include "ss/ops.h"

namespace ss::pretext {

namespace {
std::shared_ptr<models::Backbone> make_half(const std::string& half_arch, double width, int in,
                                            bool dense) {
  if (half_arch == "resnet9_half") return std::make_shared<models::ResNet9>(models::ResNet9Options{width, in, true});
  if (half_arch == "resnet50_half")
    return std::make_shared<models::ResNet50>(models::ResNet50Options{width, in, dense, true});
  SS_FAIL("two-stream backbone: unknown half-width arch '", half_arch, "' (resnet9_half, resnet50_half)");
}
std::string half_of(const std::string& arch) {
  if (arch == "resnet9_cmc") return "resnet9_half";
  if (arch == "resnet50_cmc") return "resnet50_half";
  SS_FAIL("not a two-stream arch: '", arch, "'");
}
}  // namespace

TwoStreamBackbone::TwoStreamBackbone(const std::string& half_arch, double width, bool dense) {
  l = register_module("l", make_half(half_arch, width, 1, dense));
  ab = register_module("ab", make_half(half_arch, width, 2, dense));
  arch_ = half_arch.substr(0, half_arch.size() - 5) + "_cmc";  // resnet9_half -> resnet9_cmc
}

int TwoStreamBackbone::stage_channels(int k) const { return l->stage_channels(k) + ab->stage_channels(k); }

Tensor TwoStreamBackbone::run_stage(int k, const Tensor& x) {
  const int64_t cl = k == 1 ? 1 : l->stage_channels(k - 1);
  const int64_t cab = k == 1 ? 2 : ab->stage_channels(k - 1);
  SS_CHECK(x.dim() == 4 && x.size(1) == cl + cab, arch_, ": stage ", k, " expects ", cl + cab,
           " channels, got ", x.desc());
  return concat({l->run_stage(k, slice(x, 1, 0, cl)), ab->run_stage(k, slice(x, 1, cl, cl + cab))}, 1);
}

bool is_two_stream_arch(const std::string& arch) { return arch == "resnet9_cmc" || arch == "resnet50_cmc"; }

std::shared_ptr<models::FeatureNet> make_model(const models::ModelConfig& cfg) {
  if (!is_two_stream_arch(cfg.arch)) return models::make_model(cfg);
  SS_CHECK(cfg.in_channels == 3, cfg.arch, ": takes 3-channel LAB images (L | ab), not ", cfg.in_channels);
  auto bb = std::make_shared<TwoStreamBackbone>(half_of(cfg.arch), cfg.width, cfg.dense);
  auto m = std::make_shared<models::FeatureNet>(bb, cfg.out_feats, cfg.out_classes, cfg.dense);
  m->width = cfg.width;
  return m;
}

std::shared_ptr<models::FeatureNet> assemble_two_stream(const models::FeatureNet& enc_l,
                                                        const models::FeatureNet& enc_ab,
                                                        const std::string& half_arch, double width) {
  const int fl = enc_l.out_feats(), fab = enc_ab.out_feats();
  models::ModelConfig c;
  c.arch = half_arch.substr(0, half_arch.size() - 5) + "_cmc";
  c.width = width;
  c.out_feats = fl + fab;
  auto m = pretext::make_model(c);
  auto& ts = static_cast<TwoStreamBackbone&>(m->backbone());
  NoGradGuard ng;
  ts.l->load_state_dict(enc_l.backbone().state_dict());
  ts.ab->load_state_dict(enc_ab.backbone().state_dict());
  // Block-diagonal prepool_fc: rows [0, fl) read the L channels, rows [fl, fl+fab) the ab ones.
  auto& pl = const_cast<models::FeatureNet&>(enc_l).prepool_fc();
  auto& pab = const_cast<models::FeatureNet&>(enc_ab).prepool_fc();
  const int64_t cl = pl.weight.size(1), cab = pab.weight.size(1), C = cl + cab;
  std::vector<float> wl = pl.weight.to(Device::cpu()).to(DType::F32).to_vector<float>(), wab = pab.weight.to(Device::cpu()).to(DType::F32).to_vector<float>();
  std::vector<float> w(size_t((fl + fab) * C), 0.0f), b;
  for (int64_t o = 0; o < fl; ++o)
    for (int64_t i = 0; i < cl; ++i) w[size_t(o * C + i)] = wl[size_t(o * cl + i)];
  for (int64_t o = 0; o < fab; ++o)
    for (int64_t i = 0; i < cab; ++i) w[size_t((fl + o) * C + cl + i)] = wab[size_t(o * cab + i)];
  b = pl.bias.to(Device::cpu()).to(DType::F32).to_vector<float>();
  std::vector<float> bab = pab.bias.to(Device::cpu()).to(DType::F32).to_vector<float>();
  b.insert(b.end(), bab.begin(), bab.end());
  auto& fc = m->prepool_fc();
  fc.weight.copy_(Tensor::from_vector(w, {fl + fab, C}));
  fc.bias.copy_(Tensor::from_vector(b, {int64_t(fl + fab)}));
  return m;
}

}  // namespace ss::pretext
