// The checkpoint training and pretraining write each epoch: a module's state under a key
// prefix ("model." / "method."), Adam's moments and applied-step count, the loss scaler's
// state, and the run's progress JSON as metadata (safetensors, written atomically).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "ss/grad_scaler.h"
#include "ss/nn.h"
#include "ss/optim.h"

namespace ss::app {

void save_run_checkpoint(const std::string& path, const std::string& prefix, const nn::Module& m,
                         optim::Adam& opt, const GradScaler& scaler, const nlohmann::json& state);

// Restores what save_run_checkpoint wrote and returns the progress JSON. opt == nullptr
// restores the module only (scaler is then ignored). `kind` names the checkpoint in errors
// ("training", "pretraining"). Older checkpoints lack optim.step (then it equals
// state.step: no step was ever skipped) and scaler.* (then the scaler starts fresh).
nlohmann::json load_run_checkpoint(const std::string& path, const std::string& prefix,
                                   nn::Module& m, optim::Adam* opt, GradScaler* scaler,
                                   const char* kind);

}  // namespace ss::app
