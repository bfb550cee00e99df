#include "run_checkpoint.h"

#include <map>

#include "ss/io/safetensors.h"

namespace ss::app {
using nlohmann::json;

void save_run_checkpoint(const std::string& path, const std::string& prefix, const nn::Module& m,
                         optim::Adam& opt, const GradScaler& scaler, const json& state) {
  io::TensorMap t;
  for (auto& [k, v] : m.state_dict()) t[prefix + k] = v;
  auto names = m.named_parameters();
  for (size_t i = 0; i < names.size() && i < opt.exp_avg().size(); ++i) {
    t["optim.exp_avg." + names[i].first] = opt.exp_avg()[i];
    t["optim.exp_avg_sq." + names[i].first] = opt.exp_avg_sq()[i];
  }
  t["optim.step"] = opt.applied_steps();
  for (auto& [k, v] : scaler.state_dict()) t["scaler." + k] = v;
  io::save_safetensors(path, t, {{"format", "pt"}, {"state", state.dump()}});
}

json load_run_checkpoint(const std::string& path, const std::string& prefix, nn::Module& m,
                         optim::Adam* opt, GradScaler* scaler, const char* kind) {
  io::Metadata meta;
  io::TensorMap t = io::load_safetensors(path, &meta);
  std::map<std::string, Tensor> sd;
  for (auto& [k, v] : t)
    if (k.rfind(prefix, 0) == 0) sd[k.substr(prefix.size())] = v;
  m.load_state_dict(sd);
  if (opt) {
    auto names = m.named_parameters();
    for (size_t i = 0; i < names.size() && i < opt->exp_avg().size(); ++i) {
      auto a = t.find("optim.exp_avg." + names[i].first), b = t.find("optim.exp_avg_sq." + names[i].first);
      SS_CHECK(a != t.end() && b != t.end(), path, ": optimiser state for '", names[i].first, "' missing");
      opt->exp_avg()[i].copy_(a->second);
      opt->exp_avg_sq()[i].copy_(b->second);
    }
  }
  SS_CHECK(meta.count("state"), path, ": not a ", kind, " checkpoint (no 'state' metadata)");
  json state;
  try {
    state = json::parse(meta["state"]);
  } catch (const std::exception& e) {
    SS_FAIL(path, ": corrupt 'state' metadata: ", e.what());
  }
  if (opt) {
    opt->set_steps(state["step"].get<int64_t>());
    if (auto it = t.find("optim.step"); it != t.end()) opt->applied_steps().copy_(it->second);
    std::map<std::string, Tensor> sc;
    for (auto& [k, v] : t)
      if (k.rfind("scaler.", 0) == 0) sc[k.substr(7)] = v;
    scaler->load_state_dict(sc);
  }
  return state;
}

}  // namespace ss::app
