#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ss/exp/cli.h"
#include "ss/exp/config.h"
#include "ss/exp/trainer.h"
#include "ss/io/atomic_file.h"

namespace ss::app {
namespace {

struct TrainArgs {
  std::string config, data, out, init, device, checkpoint, split = "test";
  std::vector<std::string> sets;
  bool resume = false;
};

Config load_config(const TrainArgs& a) {
  Config c = Config::load(a.config, a.sets);
  c.set_string("data.path", a.data);
  c.set_string("out", a.out);
  c.set_string("model.init", a.init);
  c.set_string("device", a.device);
  return c;
}

void add_common(CLI::App* cmd, TrainArgs& a) {
  cmd->add_option("--config,-c", a.config, "TOML config (see experiments/configs/)")->check(CLI::ExistingFile);
  cmd->add_option("--set", a.sets, "override a config key, e.g. --set train.epochs=5 (repeatable)");
  cmd->add_option("--data", a.data, "HDF5 dataset file (data.path)");
  cmd->add_option("--out", a.out, "run directory (out)");
  cmd->add_option("--device", a.device, "cpu or cuda (device)");
}

}  // namespace

void add_train_commands(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* train = app.add_subcommand("train", "Train (from scratch or from --init) on one dataset and task");
  add_common(train, *a);
  train->add_option("--init", a->init, "pretrained backbone checkpoint to finetune (model.init)");
  train->add_flag("--resume", a->resume, "continue from <out>/checkpoint.safetensors");
  train->callback([a] {
    Config c = load_config(*a);
    TrainOptions o = TrainOptions::from_config(c);
    o.resume = a->resume;
    std::filesystem::create_directories(o.out);
    io::write_file_atomically(o.out + "/config.toml", c.to_toml());
    nlohmann::json r = ss::app::train(o);
    (void)r;
  });

  auto b = std::make_shared<TrainArgs>();
  auto* eval = app.add_subcommand("eval", "Evaluate a training checkpoint on the valid or test split");
  add_common(eval, *b);
  eval->add_option("--checkpoint", b->checkpoint, "<run>/checkpoint.safetensors")->required()->check(CLI::ExistingFile);
  eval->add_option("--split", b->split, "valid or test")->capture_default_str();
  eval->callback([b] {
    TrainOptions o = TrainOptions::from_config(load_config(*b));
    nlohmann::json j = evaluate_checkpoint(o, b->checkpoint, b->split);
    std::printf("%s\n", j.dump(2).c_str());
  });
}

}  // namespace ss::app
