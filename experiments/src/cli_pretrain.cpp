// `selfstudy pretrain`: self-supervised pretraining with one of the four pretext methods.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "ss/exp/config.h"
#include "ss/exp/pretrain.h"
#include "ss/io/atomic_file.h"

namespace ss::app {
namespace {

struct PretrainArgs {
  std::string config, method, model, data, out, device;
  std::vector<std::string> sets;
  double width = 0, lr = 0;
  int epochs = 0, batch = 0;
  int64_t seed = -1;
  bool resume = false;
};

Config load_config(const PretrainArgs& a) {
  Config c = Config::load(a.config, a.sets);
  c.set_string("pretrain.method", a.method);
  c.set_string("model.arch", a.model);
  c.set_string("data.path", a.data);
  c.set_string("out", a.out);
  c.set_string("device", a.device);
  if (a.width > 0) c.set("model.width=" + std::to_string(a.width));
  if (a.lr > 0) c.set("train.lr=" + std::to_string(a.lr));
  if (a.epochs > 0) c.set("train.epochs=" + std::to_string(a.epochs));
  if (a.batch > 0) c.set("train.batch=" + std::to_string(a.batch));
  if (a.seed >= 0) c.set("seed=" + std::to_string(a.seed));
  return c;
}

}  // namespace

void add_pretrain_command(CLI::App& app) {
  auto a = std::make_shared<PretrainArgs>();
  auto* cmd = app.add_subcommand(
      "pretrain",
      "Self-supervised pretraining (vae | rotation | cmc | amdim) on the train split of one dataset;\n"
      "writes <out>/backbone.safetensors for `selfstudy train --init` and <out>/loss_curve.json");
  cmd->add_option("--method", a->method, "pretext method: vae, rotation, cmc or amdim (pretrain.method)")
      ->check(CLI::IsMember({"vae", "rotation", "cmc", "amdim"}));
  cmd->add_option("--model", a->model, "backbone: resnet9 or resnet50 (model.arch; CMC uses its half-width variant per view)")
      ->check(CLI::IsMember({"resnet9", "resnet50"}));
  cmd->add_option("--data", a->data, "HDF5 dataset file (data.path)");
  cmd->add_option("--width", a->width, "channel multiplier, 1 = paper (model.width)");
  cmd->add_option("--epochs", a->epochs, "epochs (train.epochs)");
  cmd->add_option("--batch", a->batch, "batch size (train.batch; default: the authors' per method)");
  cmd->add_option("--lr", a->lr, "peak learning rate after warm-up (train.lr)");
  cmd->add_option("--seed", a->seed, "seed: weights, data order, augmentation, pretext sampling (seed)");
  cmd->add_option("--device", a->device, "cpu or cuda (device)");
  cmd->add_option("--out", a->out, "run directory (out)");
  cmd->add_option("--config,-c", a->config, "TOML config (keys: see pretext/README.md)")->check(CLI::ExistingFile);
  cmd->add_option("--set", a->sets, "override a config key, e.g. --set cmc.k=1024 (repeatable)");
  cmd->add_flag("--resume", a->resume, "continue from <out>/checkpoint.safetensors");
  cmd->callback([a] {
    Config c = load_config(*a);
    PretrainOptions o = PretrainOptions::from_config(c);
    o.resume = a->resume;
    std::filesystem::create_directories(o.out);
    io::write_file_atomically(o.out + "/config.toml", c.to_toml());
    pretrain(o);
  });
}

}  // namespace ss::app
