// The config keys training and pretraining share: schedule, optimiser, precision, seed,
// device and output folder. Each reads its own extra keys (train.eval_*, train.beta2, ...).
#pragma once
#include <cstdint>

#include "ss/exp/config.h"

namespace ss::app {

template <class Options>
void read_shared_train_keys(const Config& c, Options& o) {
  o.epochs = int(c.integer("train.epochs", o.epochs));
  o.batch = int(c.integer("train.batch", o.batch));
  o.warmup_epochs = int(c.integer("train.warmup_epochs", o.warmup_epochs));
  o.lr = c.number("train.lr", o.lr);
  o.final_lr = c.number("train.final_lr", o.final_lr);
  o.weight_decay = c.number("train.weight_decay", o.weight_decay);
  o.beta1 = c.number("train.beta1", o.beta1);
  o.min_samples = c.integer("train.min_samples", o.min_samples);
  o.augment = c.boolean("train.augment", o.augment);
  o.amp = c.boolean("train.amp", o.amp);
  o.amp_init_scale = c.number("train.amp_init_scale", o.amp_init_scale);
  o.channels_last = c.boolean("train.channels_last", o.channels_last);
  o.seed = uint64_t(c.integer("seed", int64_t(o.seed)));
  o.device = c.str("device", o.device);
  o.out = c.str("out", o.out);
}

}  // namespace ss::app
