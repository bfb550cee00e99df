#include "ss/exp/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "ss/allocator.h"
#include "ss/amp.h"
#include "ss/autograd.h"
#include "ss/cuda_graph.h"
#include "ss/data/loader.h"
#include "ss/data/splits.h"
#include "ss/exp/task.h"
#include "ss/grad_scaler.h"
#include "ss/io/atomic_file.h"
#include "ss/io/safetensors.h"
#include "ss/models/checkpoint.h"
#include "ss/optim.h"
#include "ss/pretext/two_stream.h"
#include "ss/progress.h"
#include "ss/rng.h"
#include "late_read.h"
#include "run_checkpoint.h"
#include "train_keys.h"

namespace ss::app {
namespace fs = std::filesystem;
using nlohmann::json;

TrainOptions TrainOptions::from_config(const Config& c) {
  TrainOptions o;
  o.data = c.str("data.path", o.data);
  o.task = c.str("task.name", o.task);
  o.n = c.integer("data.n", o.n);
  o.model.arch = c.str("model.arch", o.model.arch);
  o.model.width = c.number("model.width", o.model.width);
  o.model.out_feats = int(c.integer("model.out_feats", o.task == "classify" ? 256 : 512));
  o.freeze = int(c.integer("model.freeze", o.freeze));
  o.init = c.str("model.init", o.init);
  o.linear_probe = c.boolean("model.linear_probe", o.linear_probe);
  read_shared_train_keys(c, o);
  o.eval_every = int(c.integer("train.eval_every", o.eval_every));
  o.eval_max = c.integer("train.eval_max", o.eval_max);
  o.cuda_graph = c.boolean("train.cuda_graph", o.cuda_graph);
  SS_CHECK(!o.data.empty(), c.origin(), ": data.path is required");
  SS_CHECK(o.epochs > 0 && o.batch > 1, c.origin(), ": train.epochs must be > 0 and train.batch > 1");
  SS_CHECK(o.freeze >= 0 && o.freeze <= 4, c.origin(), ": model.freeze must be in [0, 4]");
  SS_CHECK(!o.cuda_graph || Device::parse(o.device).is_cuda(), c.origin(),
           ": train.cuda_graph needs device cuda (got '", o.device, "')");
  return o;
}

namespace {

struct Setup {
  std::shared_ptr<const data::H5Dataset> ds;
  data::Splits splits;
  std::unique_ptr<Task> task;
  std::shared_ptr<models::FeatureNet> model;
  Device dev;
};

Setup make_setup(const TrainOptions& o) {
  Setup s;
  s.dev = Device::parse(o.device);
  if (s.dev.is_cuda()) SS_CHECK(cuda_available(), "--device cuda: no CUDA device is available");
  s.ds = std::make_shared<data::H5Dataset>(o.data);
  s.splits = data::Splits::make(s.ds->size(), o.data);
  s.task = make_task(o.task);
  SS_CHECK(s.task->dense() == s.ds->multi_object(), o.data, ": task '", o.task, "' needs ",
           s.task->dense() ? "a multi-object (dense) file" : "a single-object file");
  manual_seed(o.seed);
  models::ModelConfig mc = o.model;
  mc.dense = s.task->dense();
  mc.out_classes = s.task->head_sizes();
  s.model = pretext::make_model(mc);  // the models registry plus the CMC two-stream archs
  if (!o.init.empty()) models::load_backbone(o.init, *s.model);
  s.model->to(s.dev);
  return s;
}

std::vector<int64_t> capped(std::vector<int64_t> idx, int64_t cap) {
  if (cap > 0 && int64_t(idx.size()) > cap) idx.resize(size_t(cap));
  return idx;
}

std::vector<Tensor> forward(models::FeatureNet& m, const Tensor& x, int freeze, bool probe) {
  if (probe) {
    Tensor f;
    {
      NoGradGuard ng;
      f = m.dense() ? m.feature_map(x) : m.features(x);
    }
    return m.apply_heads(f.detach());
  }
  return m.run(x, freeze).logits;
}

json evaluate(Setup& s, const std::vector<int64_t>& idx, int batch, bool probe) {
  NoGradGuard ng;
  s.model->eval();
  data::LoaderOptions lo;
  lo.batch_size = batch, lo.shuffle = false, lo.min_samples = 0, lo.device = s.dev;
  data::Loader loader(s.ds, idx, lo);
  auto metrics = s.task->metrics();
  double loss_sum = 0;
  int64_t count = 0;
  while (auto b = loader.next()) {
    std::vector<Tensor> logits = forward(*s.model, b->x, 0, probe);
    loss_sum += s.task->loss(logits, *b).item() * double(b->size());
    count += b->size();
    metrics->add(logits, *b);
  }
  s.model->train();
  json j = metrics->values();
  j["loss"] = count ? loss_sum / double(count) : 0.0;
  j["images"] = count;
  return j;
}

// The batch tensors a captured step reads: its inputs are copied into them before each
// replay (device-to-device, queued on the stream), since a graph replays fixed addresses.
struct StagedBatch {
  data::Batch b;
  static std::vector<Tensor data::Batch::*> fields() {
    return {&data::Batch::x,      &data::Batch::x2,         &data::Batch::index,
            &data::Batch::y_class, &data::Batch::y_pose,    &data::Batch::y_seg,
            &data::Batch::y_instance, &data::Batch::y_depth, &data::Batch::depth_mask};
  }
  explicit StagedBatch(const data::Batch& from) : b(from) {
    for (auto f : fields())
      if ((from.*f).defined()) b.*f = (from.*f).clone();
  }
  void load(const data::Batch& from) {
    for (auto f : fields()) {
      if (!(b.*f).defined()) continue;
      SS_CHECK((from.*f).defined() && (from.*f).shape() == (b.*f).shape(),
               "train.cuda_graph: batch ", from.step, " has other shapes than the captured step "
               "(", (from.*f).defined() ? (from.*f).desc() : std::string("missing"), " vs ",
               (b.*f).desc(), ")");
      (b.*f).copy_(from.*f);
    }
  }
};

// Host-side counters the step advances (BatchNorm's num_batches_tracked, kept on the host):
// a replay runs no host code, so each replay adds what the captured step added, and
// checkpoints match an eager run's.
class HostCounters {
 public:
  explicit HostCounters(const nn::Module& m) {
    for (auto& [name, t] : m.named_buffers())
      if (!t.is_cuda() && t.dtype() == DType::I64 && t.numel() == 1)
        counters_.push_back({t, t.data<int64_t>()[0]});
  }
  // After capture: what the captured step added is each replay's increment, and is taken
  // back (the capture did not run the step).
  void captured() {
    for (auto& [t, v] : counters_) {
      const int64_t before = v;
      v = t.data<int64_t>()[0] - before;
      t.data<int64_t>()[0] = before;
    }
  }
  void replayed() {
    for (auto& [t, inc] : counters_) t.data<int64_t>()[0] += inc;
  }

 private:
  std::vector<std::pair<Tensor, int64_t>> counters_;
};

std::string fmt_metrics(const json& j) {
  std::string s;
  char buf[64];
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "images") continue;
    std::snprintf(buf, sizeof buf, "%s%s %.4f", s.empty() ? "" : ", ", it.key().c_str(), it->get<double>());
    s += buf;
  }
  return s;
}

}  // namespace

json train(const TrainOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  fs::create_directories(o.out);
  Setup s = make_setup(o);
  SS_CHECK(!o.cuda_graph || s.dev.is_cuda(), "train.cuda_graph needs device cuda (got '",
           o.device, "')");
  std::vector<int64_t> train_idx = o.n > 0 ? s.splits.labelled(o.n) : s.splits.train.indices();
  const std::vector<int64_t> valid_idx = capped(s.splits.valid.indices(), o.eval_max);
  const std::vector<int64_t> test_idx = capped(s.splits.test.indices(), o.eval_max);

  std::vector<Tensor> params;
  if (o.linear_probe)
    params = s.model->heads().parameters();
  else
    params = s.model->parameters();
  optim::Adam opt(params, {o.lr, o.beta1, o.beta2, 1e-8, o.weight_decay});
  // torch.cuda.amp defaults: x2 after 2000 finite steps, x0.5 on overflow.
  GradScaler scaler(s.dev, o.amp_init_scale, 2.0, 0.5, 2000, o.amp);

  data::LoaderOptions lo;
  lo.batch_size = o.batch, lo.shuffle = true, lo.seed = o.seed, lo.min_samples = o.min_samples;
  lo.drop_last = true, lo.augment = o.augment, lo.device = s.dev;
  data::Loader loader(s.ds, train_idx, lo);
  const int64_t steps_per_epoch = std::max<int64_t>(loader.batches_per_epoch(), 1);
  optim::WarmupLinearSchedule sched{o.lr, o.final_lr, steps_per_epoch * o.warmup_epochs,
                                    steps_per_epoch * o.epochs};

  const std::string ckpt = o.out + "/checkpoint.safetensors";
  json state = {{"epoch", 0}, {"step", 0}, {"curve", json::array()}, {"best", nullptr}};
  if (o.resume && fs::exists(ckpt)) {
    state = load_run_checkpoint(ckpt, "model.", *s.model, &opt, &scaler, "training");
    loader.seek(state["epoch"].get<int64_t>());
    if (!o.quiet) std::printf("train: resumed from %s at epoch %lld\n", ckpt.c_str(), (long long)state["epoch"].get<int64_t>());
  }
  // The optimiser evaluates the schedule itself (skipped overflow steps advance it, as
  // torch's per-iteration scheduler), from a counter a CUDA-graph replay also advances.
  opt.set_schedule(sched);
  if (!o.quiet)
    std::printf("train: %s on %s (%s), n=%zu, %lld steps/epoch x %d epochs, %s%s%s\n",
                s.model->describe().c_str(), o.data.c_str(), o.task.c_str(), train_idx.size(),
                (long long)steps_per_epoch, o.epochs, s.dev.str().c_str(),
                o.amp ? ", amp (fp16 + loss scaling)" : "", o.cuda_graph ? ", CUDA graph" : "");

  // One training step; returns the (unscaled) loss.
  auto train_step = [&](const data::Batch& b) {
    Tensor loss;
    {
      AutocastGuard autocast(o.amp);
      ChannelsLastGuard nhwc(o.channels_last);
      loss = s.task->loss(forward(*s.model, b.x, o.freeze, o.linear_probe), b);
    }
    opt.zero_grad();
    scaler.scale(loss).backward();
    scaler.step(opt);
    scaler.update();
    return loss.detach();
  };
  // train.cuda_graph: the first step runs eagerly (it picks the cuDNN algorithms, sizes the
  // workspace and creates the optimiser state), then the step is captured once on staged
  // batch tensors and every later step is one replay. Same kernels in the same order, so the
  // same results as eager steps.
  std::unique_ptr<StagedBatch> staged;
  std::unique_ptr<HostCounters> counters;
  CudaGraph graph;
  Tensor graph_loss;

  const std::string primary = s.task->primary();
  double img_per_s = 0;
  for (int64_t ep = state["epoch"].get<int64_t>(); ep < o.epochs; ++ep) {
    s.model->train();
    if (o.linear_probe) s.model->eval();  // frozen features: BN uses running statistics
    Progress bar("epoch " + std::to_string(ep + 1) + "/" + std::to_string(o.epochs),
                 steps_per_epoch * o.batch);
    double loss_sum = 0;
    int64_t nb = 0;
    const int64_t skipped_before = o.amp ? opt.steps() - opt.applied_steps_value() : 0;
    // The unscaled loss is what is checked (an overflow in the scaled gradients is the
    // scaler's to skip; a non-finite loss is a diverged run, reported with its own step).
    LateRead late([&](const std::vector<double>& v, int64_t step) {
      const double l = v[0];
      if (!std::isfinite(l))
        SS_FAIL("training loss became ", l, " at step ", step, " (epoch ", ep + 1,
                "); last good state: ", fs::exists(ckpt) ? ckpt : std::string("none (first epoch)"));
      loss_sum += l;
      ++nb;
      char extra[48];
      std::snprintf(extra, sizeof extra, "loss %.4f", loss_sum / double(nb));
      bar.update(nb * o.batch, extra);
    });
    while (auto b = loader.next()) {
      Tensor loss;
      if (graph.captured()) {
        staged->load(*b);
        graph.replay();
        opt.advance_host_steps(1);
        counters->replayed();
        loss = graph_loss;  // its read-back is queued before the next replay
      } else {
        loss = train_step(*b);
        if (o.cuda_graph) {
          staged = std::make_unique<StagedBatch>(*b);
          // The eager step's cached activation blocks are released: from here on the
          // graph's own pool holds the step's memory, and both staying reserved would
          // double it.
          CachingAllocator::for_device(s.dev).empty_cache();
          counters = std::make_unique<HostCounters>(*s.model);
          graph.capture([&] { graph_loss = train_step(staged->b); });
          counters->captured();
          opt.advance_host_steps(-1);  // captured, not run
        }
      }
      late.push(loss, opt.steps());
    }
    late.flush();
    bar.finish();
    img_per_s = bar.rate();
    json entry = {{"epoch", ep + 1}, {"train_loss", nb ? loss_sum / double(nb) : 0.0},
                  {"lr", opt.lr()}, {"img_per_s", img_per_s}};
    if (o.amp) {
      entry["loss_scale"] = scaler.scale_value();
      entry["skipped_steps"] = opt.steps() - opt.applied_steps_value() - skipped_before;
    }
    if ((ep + 1) % o.eval_every == 0 || ep + 1 == o.epochs) {
      json v = evaluate(s, valid_idx, std::max(o.batch, 64), o.linear_probe);
      entry["valid"] = v;
      if (state["best"].is_null() || v[primary].get<double>() > state["best"]["valid"][primary].get<double>()) {
        json t = evaluate(s, test_idx, std::max(o.batch, 64), o.linear_probe);
        state["best"] = {{"epoch", ep + 1}, {"valid", v}, {"test", t}};
        models::save_backbone(o.out + "/best_backbone.safetensors", *s.model);
      }
      if (!o.quiet)
        std::printf("epoch %lld: train loss %.4f | valid %s | %.0f img/s\n", (long long)(ep + 1),
                    entry["train_loss"].get<double>(), fmt_metrics(v).c_str(), img_per_s);
    }
    state["curve"].push_back(entry);
    state["epoch"] = ep + 1;
    state["step"] = opt.steps();
    save_run_checkpoint(ckpt, "model.", *s.model, opt, scaler, state);
    std::fflush(stdout);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  json result = {{"task", o.task}, {"data", o.data}, {"n", int64_t(train_idx.size())},
                 {"model", s.model->describe()}, {"arch", o.model.arch}, {"width", o.model.width},
                 {"freeze", o.freeze}, {"init", o.init}, {"linear_probe", o.linear_probe},
                 {"epochs", o.epochs}, {"batch", o.batch}, {"seed", o.seed}, {"amp", o.amp},
                 {"device", s.dev.str()}, {"primary_metric", primary},
                 {"best_valid", state["best"]["valid"]}, {"test_at_best_valid", state["best"]["test"]},
                 {"best_epoch", state["best"]["epoch"]}, {"curve", state["curve"]},
                 {"img_per_s", img_per_s}, {"wall_s", wall},
                 {"peak_host_mb", double(CachingAllocator::for_device(Device::cpu()).peak_bytes()) / 1048576.0}};
  io::write_file_atomically(o.out + "/result.json", result.dump(2) + "\n");
  if (!o.quiet)
    std::printf("train: best valid %s %.4f at epoch %lld; test there %.4f; wrote %s/result.json\n",
                primary.c_str(), result["best_valid"][primary].get<double>(),
                (long long)result["best_epoch"].get<int64_t>(),
                result["test_at_best_valid"][primary].get<double>(), o.out.c_str());
  return result;
}

json evaluate_checkpoint(const TrainOptions& o, const std::string& checkpoint, const std::string& split) {
  TrainOptions oo = o;
  oo.init.clear();
  Setup s = make_setup(oo);
  load_run_checkpoint(checkpoint, "model.", *s.model, nullptr, nullptr, "training");
  s.model->to(s.dev);
  SS_CHECK(split == "valid" || split == "test", "eval: --split must be valid or test, got '", split, "'");
  auto idx = capped(split == "valid" ? s.splits.valid.indices() : s.splits.test.indices(), o.eval_max);
  json j = evaluate(s, idx, std::max(o.batch, 64), o.linear_probe);
  j["split"] = split;
  j["checkpoint"] = checkpoint;
  return j;
}

}  // namespace ss::app
