#include "ss/pretext/method.h"

#include "ss/pretext/amdim.h"
#include "ss/pretext/cmc.h"
#include "ss/pretext/rotation.h"
#include "ss/pretext/vae.h"

namespace ss::pretext {

data::AugmentConfig Method::augmentation() const { return data::AugmentConfig{}; }

std::vector<std::string> method_names() { return {"vae", "rotation", "cmc", "amdim"}; }

std::shared_ptr<Method> make_method(const MethodConfig& cfg) {
  if (cfg.method == "vae") return std::make_shared<Vae>(cfg);
  if (cfg.method == "rotation") return std::make_shared<Rotation>(cfg);
  if (cfg.method == "cmc") return std::make_shared<Cmc>(cfg);
  if (cfg.method == "amdim") return std::make_shared<Amdim>(cfg);
  std::string names;
  for (auto& n : method_names()) names += (names.empty() ? "" : ", ") + n;
  SS_FAIL("unknown pretext method '", cfg.method, "' (known: ", names, ")");
}

std::shared_ptr<models::FeatureNet> make_encoder(const models::ModelConfig& m, int in_channels,
                                                 int out_feats) {
  models::ModelConfig c = m;
  c.in_channels = in_channels;
  c.out_feats = out_feats;
  c.dense = false;
  c.out_classes.clear();
  return models::make_model(c);
}

}  // namespace ss::pretext
