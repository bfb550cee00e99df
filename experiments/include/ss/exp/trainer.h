// Supervised training (scratch or finetuning) on one HDF5 dataset: Adam with the study's
// warm-up + linear decay (REFERENCE §6), evaluation on the validation split every k epochs,
// best-valid model selection with the test metrics at that epoch, an atomic checkpoint
// every epoch, exact resume, and a clear stop on a non-finite loss. train.amp: forward and
// loss under fp16 autocast with dynamic loss scaling (ss/grad_scaler.h); a step whose
// gradients overflow is skipped, not an error.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ss/exp/config.h"
#include "ss/models/registry.h"

namespace ss::app {

struct TrainOptions {
  std::string data;              // HDF5 file (authors' layout)
  std::string task = "classify";  // classify | segment | depth
  int64_t n = 0;                 // labelled images (first n train indices); 0 = all
  models::ModelConfig model;
  int freeze = 0;                // freeze_at_k (REFERENCE §3)
  std::string init;              // pretrained backbone checkpoint ("" = scratch)
  bool linear_probe = false;     // train only the heads on frozen (eval-mode) features
  int epochs = 10, batch = 128, warmup_epochs = 1, eval_every = 1;
  double lr = 1e-3, final_lr = 1e-6, weight_decay = 1e-4, beta1 = 0.8, beta2 = 0.999;
  int64_t min_samples = 10000;   // epoch tiling
  int64_t eval_max = 0;          // cap on valid/test images per evaluation (0 = all)
  bool augment = true;
  bool amp = false;              // train.amp: fp16 autocast + dynamic loss scaling
  double amp_init_scale = 65536; // train.amp_init_scale: the loss scale to start from
  bool channels_last = false;    // train.channels_last: NHWC activations (the GPU fast path)
  bool cuda_graph = false;       // train.cuda_graph: replay the step as a CUDA graph (CUDA only)
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string out = "runs/train";
  bool resume = false;
  bool quiet = false;            // no per-epoch lines (sweeps)

  static TrainOptions from_config(const Config& c);
};

// Returns the result JSON (also written to <out>/result.json).
nlohmann::json train(const TrainOptions& o);

// Evaluates a saved training checkpoint on a split ("valid" or "test").
nlohmann::json evaluate_checkpoint(const TrainOptions& o, const std::string& checkpoint,
                                   const std::string& split);

}  // namespace ss::app
