// Self-supervised pretraining (`selfstudy pretrain`): one of the four pretext methods of
// REFERENCE §4 (pretext/) on the train split of one HDF5 dataset, with Adam and the
// study's warm-up + linear decay (REFERENCE §6), an atomic checkpoint every epoch, exact
// resume, and a clear stop on a non-finite loss (train.amp: fp16 autocast with dynamic loss
// scaling, as in trainer.h).
//
// Writes into `out`:
//   backbone.safetensors   backbone + prepool_fc (models::save_backbone), every epoch;
//                          `selfstudy train --init` loads it (CMC: arch resnet9_cmc, see
//                          pretext/include/ss/pretext/two_stream.h)
//   loss_curve.json        per-epoch means of the loss and the method's metrics, plus a
//                          per-step loss trace
//   checkpoint.safetensors full training state (method incl. memory banks, Adam moments)
//   reconstructions.png    VAE only: inputs and their reconstructions
#pragma once
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ss/exp/config.h"
#include "ss/pretext/method.h"

namespace ss::app {

struct PretrainOptions {
  std::string data;                 // HDF5 file (authors' layout)
  pretext::MethodConfig method;     // method name, model, method constants
  int epochs = 10, batch = 0, warmup_epochs = 1;  // batch 0 = the method's default
  double lr = 0, final_lr = 0, weight_decay = -1, beta1 = 0.8, beta2 = 0.999;  // 0/-1 = method default
  int64_t min_samples = 0;          // epoch tiling (0 = one pass over the train split)
  int64_t max_images = 0;           // use only the first n train images (0 = all)
  bool augment = true;
  bool amp = false;                 // train.amp: fp16 autocast + dynamic loss scaling
  bool channels_last = false;  // train.channels_last: NHWC activations (the GPU fast path)
  double amp_init_scale = 65536;    // train.amp_init_scale: the loss scale to start from
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string out = "runs/pretrain";
  bool resume = false;
  bool quiet = false;
  int stop_after_epochs = 0;        // testing: return after this many epochs, as if interrupted

  // Keys: pretrain.method, data.path, model.{arch,width,out_feats},
  // train.{epochs,batch,lr,final_lr,warmup_epochs,weight_decay,beta1,beta2,min_samples,
  // max_images,augment,amp,amp_init_scale}, seed, device, out, vae.kl_weight, cmc.{k,t,m},
  // amdim.{tclip,reg,r5,r7}.
  static PretrainOptions from_config(const Config& c);
  // Fills the method defaults (authors' config/syn/r9/<method>.gin) for unset values.
  void apply_method_defaults();
};

// Runs the pretraining; returns the loss-curve JSON (also written to <out>/loss_curve.json).
nlohmann::json pretrain(const PretrainOptions& o);

// Registers `selfstudy pretrain`.
void add_pretrain_command(CLI::App& app);

}  // namespace ss::app
