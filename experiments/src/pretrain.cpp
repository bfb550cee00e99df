#include "ss/exp/pretrain.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "ss/allocator.h"
#include "ss/amp.h"
#include "ss/autograd.h"
#include "ss/data/loader.h"
#include "ss/data/splits.h"
#include "ss/grad_scaler.h"
#include "ss/io/atomic_file.h"
#include "ss/io/safetensors.h"
#include "ss/models/checkpoint.h"
#include "ss/optim.h"
#include "ss/pretext/vae.h"
#include "ss/progress.h"
#include "ss/rng.h"
#include "late_read.h"
#include "run_checkpoint.h"
#include "train_keys.h"

namespace ss::app {
namespace fs = std::filesystem;
using nlohmann::json;

PretrainOptions PretrainOptions::from_config(const Config& c) {
  PretrainOptions o;
  o.data = c.str("data.path", o.data);
  auto& m = o.method;
  m.method = c.str("pretrain.method");  // required: --method
  m.model.arch = c.str("model.arch", m.model.arch);
  m.model.width = c.number("model.width", m.model.width);
  m.model.out_feats = int(c.integer("model.out_feats", m.method == "cmc" ? 128 : 256));
  m.kl_weight = c.number("vae.kl_weight", m.kl_weight);
  m.nce_k = c.integer("cmc.k", m.nce_k);
  m.nce_t = c.number("cmc.t", m.nce_t);
  m.nce_m = c.number("cmc.m", m.nce_m);
  m.tclip = c.number("amdim.tclip", m.tclip);
  m.reg_weight = c.number("amdim.reg", m.reg_weight);
  m.r5 = int(c.integer("amdim.r5", m.r5));
  m.r7 = int(c.integer("amdim.r7", m.r7));
  read_shared_train_keys(c, o);
  o.beta2 = c.number("train.beta2", o.beta2);
  o.max_images = c.integer("train.max_images", o.max_images);
  SS_CHECK(!o.data.empty(), c.origin(), ": data.path (--data) is required");
  SS_CHECK(o.epochs > 0, c.origin(), ": train.epochs must be > 0");
  SS_CHECK(o.batch == 0 || o.batch > 1, c.origin(), ": train.batch must be > 1");
  o.apply_method_defaults();
  return o;
}

void PretrainOptions::apply_method_defaults() {
  // The authors' config/syn/r9/<method>.gin: batch, peak and final LR, weight decay.
  struct D {
    int batch;
    double lr, final_lr, wd;
  };
  const std::string& n = method.method;
  const D d = n == "vae"        ? D{512, 1e-3, 1e-5, 1e-5}
              : n == "rotation" ? D{512, 5e-4, 1e-5, 1e-4}
              : n == "cmc"      ? D{256, 1e-3, 1e-6, 1e-5}
              : n == "amdim"    ? D{384, 1e-3, 1e-6, 1e-5}
                                : D{256, 1e-3, 1e-6, 1e-4};
  if (batch <= 0) batch = d.batch;
  if (lr <= 0) lr = d.lr;
  if (final_lr <= 0) final_lr = d.final_lr;
  if (weight_decay < 0) weight_decay = d.wd;
  method.seed = seed;
}

namespace {

std::string fmt_metrics(const std::vector<std::pair<std::string, double>>& names, const json& e) {
  std::string s;
  char buf[64];
  for (auto& [k, v] : names) {
    (void)v;
    std::snprintf(buf, sizeof buf, ", %s %.4g", k.c_str(), e[k].get<double>());
    s += buf;
  }
  return s;
}

}  // namespace

json pretrain(const PretrainOptions& o_in) {
  PretrainOptions o = o_in;
  o.apply_method_defaults();
  const auto t0 = std::chrono::steady_clock::now();
  fs::create_directories(o.out);
  const Device dev = Device::parse(o.device);
  if (dev.is_cuda()) SS_CHECK(cuda_available(), "--device cuda: no CUDA device is available");

  auto ds = std::make_shared<data::H5Dataset>(o.data);
  const data::Splits splits = data::Splits::make(ds->size(), o.data);
  std::vector<int64_t> train_idx = splits.train.indices();
  if (o.max_images > 0 && int64_t(train_idx.size()) > o.max_images) train_idx.resize(size_t(o.max_images));
  SS_CHECK(int64_t(train_idx.size()) >= o.batch, o.data, ": ", train_idx.size(),
           " train images are fewer than one batch of ", o.batch);

  pretext::MethodConfig mc = o.method;
  mc.res = ds->res();
  mc.bank_size = int64_t(train_idx.size());  // train indices are [0, n): the bank is indexed by them
  if (mc.method == "cmc" && mc.nce_k >= mc.bank_size) mc.nce_k = std::max<int64_t>(1, mc.bank_size - 1);
  manual_seed(o.seed);
  std::shared_ptr<pretext::Method> method = pretext::make_method(mc);
  method->to(dev);
  method->train();

  optim::Adam opt(method->parameters(), {o.lr, o.beta1, o.beta2, 1e-8, o.weight_decay});
  // torch.cuda.amp defaults: x2 after 2000 finite steps, x0.5 on overflow.
  GradScaler scaler(dev, o.amp_init_scale, 2.0, 0.5, 2000, o.amp);
  data::LoaderOptions lo;
  lo.batch_size = o.batch, lo.shuffle = true, lo.seed = o.seed, lo.min_samples = o.min_samples;
  lo.drop_last = true, lo.augment = o.augment, lo.aug = method->augmentation();
  lo.two_views = method->two_views(), lo.pose = false, lo.device = dev;
  data::Loader loader(ds, train_idx, lo);
  const int64_t steps_per_epoch = std::max<int64_t>(loader.batches_per_epoch(), 1);
  optim::WarmupLinearSchedule sched{o.lr, o.final_lr, steps_per_epoch * o.warmup_epochs,
                                    steps_per_epoch * o.epochs};
  // Per-step trace: at most ~2000 points over the run.
  const int64_t trace_every = std::max<int64_t>(1, steps_per_epoch * o.epochs / 2000);

  const std::string ckpt = o.out + "/checkpoint.safetensors";
  json state = {{"epoch", 0}, {"step", 0}, {"epochs", json::array()}, {"steps", json::array()}};
  if (o.resume && fs::exists(ckpt)) {
    state = load_run_checkpoint(ckpt, "method.", *method, &opt, &scaler, "pretraining");
    loader.seek(state["epoch"].get<int64_t>());
    if (!o.quiet)
      std::printf("pretrain: resumed from %s at epoch %lld\n", ckpt.c_str(),
                  (long long)state["epoch"].get<int64_t>());
  }
  opt.set_schedule(sched);  // skipped (overflow) steps advance it too, as torch's scheduler
  const std::string describe = method->downstream()->describe();
  if (!o.quiet)
    std::printf("pretrain: %s on %s (%zu train images, %dpx), %s, %lld steps/epoch x %d epochs, batch %d, lr %g, %s%s\n",
                mc.method.c_str(), o.data.c_str(), train_idx.size(), mc.res, describe.c_str(),
                (long long)steps_per_epoch, o.epochs, o.batch, o.lr, dev.str().c_str(),
                o.amp ? ", amp (fp16 + loss scaling)" : "");

  io::Metadata meta = {{"pretext", mc.method}, {"data", o.data}, {"seed", std::to_string(o.seed)}};
  double img_per_s = 0;
  for (int64_t ep = state["epoch"].get<int64_t>(); ep < o.epochs; ++ep) {
    method->train();
    Progress bar(mc.method + " epoch " + std::to_string(ep + 1) + "/" + std::to_string(o.epochs),
                 steps_per_epoch * o.batch);
    double loss_sum = 0;
    std::vector<std::pair<std::string, double>> msum;
    int64_t nb = 0;
    const int64_t skipped_before = o.amp ? opt.steps() - opt.applied_steps_value() : 0;
    // Loss and metrics are read in one copy, one step late. The unscaled loss is what is
    // checked: an overflow in the scaled gradients is the scaler's to skip, a non-finite loss
    // is a diverged run.
    LateRead late([&](const std::vector<double>& v, int64_t step) {
      const double l = v[0];
      if (!std::isfinite(l))
        SS_FAIL(mc.method, " pretraining loss became ", l, " at step ", step + 1, " (epoch ",
                ep + 1, "); last good state: ", fs::exists(ckpt) ? ckpt : std::string("none (first epoch)"));
      loss_sum += l;
      for (size_t i = 0; i < msum.size() && i + 1 < v.size(); ++i) msum[i].second += v[i + 1];
      ++nb;
      if (step % trace_every == 0) state["steps"].push_back({step, l});
      char extra[96];
      if (msum.empty())
        std::snprintf(extra, sizeof extra, "loss %.4f", loss_sum / double(nb));
      else
        std::snprintf(extra, sizeof extra, "loss %.4f %s %.3f", loss_sum / double(nb), msum[0].first.c_str(),
                      msum[0].second / double(nb));
      bar.update(nb * o.batch, extra);
    });
    while (auto b = loader.next()) {
      const int64_t step = opt.steps();
      pretext::StepOutput so;
      {
        AutocastGuard autocast(o.amp);
        ChannelsLastGuard nhwc(o.channels_last);
        so = method->step(*b, step);
      }
      opt.zero_grad();
      scaler.scale(so.loss).backward();
      scaler.step(opt);
      scaler.update();
      if (msum.empty())
        for (auto& m : so.metrics) msum.emplace_back(m.first, 0.0);
      std::vector<Tensor> values = {reshape(so.loss.detach().to(DType::F32), {1})};
      for (auto& m : so.metrics) values.push_back(reshape(m.second.to(DType::F32), {1}));
      late.push(concat(values, 0), step);
    }
    late.flush();
    bar.finish();
    img_per_s = bar.rate();
    json entry = {{"epoch", ep + 1}, {"loss", nb ? loss_sum / double(nb) : 0.0}, {"lr", opt.lr()},
                  {"img_per_s", img_per_s}, {"steps", nb}};
    for (auto& [k, v] : msum) entry[k] = nb ? v / double(nb) : 0.0;
    if (o.amp) {
      entry["loss_scale"] = scaler.scale_value();
      entry["skipped_steps"] = opt.steps() - opt.applied_steps_value() - skipped_before;
    }
    state["epochs"].push_back(entry);
    state["epoch"] = ep + 1;
    state["step"] = opt.steps();
    save_run_checkpoint(ckpt, "method.", *method, opt, scaler, state);
    meta["epochs"] = std::to_string(ep + 1);
    models::save_backbone(o.out + "/backbone.safetensors", *method->downstream(), meta);
    json curve = {{"method", mc.method}, {"data", o.data}, {"model", describe}, {"arch", mc.model.arch},
                  {"width", mc.model.width}, {"batch", o.batch}, {"lr", o.lr}, {"seed", o.seed}, {"amp", o.amp},
                  {"device", dev.str()}, {"epochs", state["epochs"]}, {"steps", state["steps"]}};
    io::write_file_atomically(o.out + "/loss_curve.json", curve.dump(1) + "\n");
    if (!o.quiet)
      std::printf("epoch %lld: loss %.4f%s | %.0f img/s\n", (long long)(ep + 1), entry["loss"].get<double>(),
                  fmt_metrics(msum, entry).c_str(), img_per_s);
    std::fflush(stdout);
    if (o.stop_after_epochs > 0 && ep + 1 >= o.stop_after_epochs && ep + 1 < o.epochs) return curve;
  }

  if (mc.method == "vae") {  // inputs next to their reconstructions (first train images, no augmentation)
    const int64_t n = std::min<int64_t>(16, int64_t(train_idx.size()));
    std::vector<int64_t> first(train_idx.begin(), train_idx.begin() + n);
    Tensor x = ds->images(first).to(dev);
    static_cast<pretext::Vae&>(*method).write_reconstructions(o.out + "/reconstructions.png", x, 8);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  json curve = {{"method", mc.method}, {"data", o.data}, {"model", describe}, {"arch", mc.model.arch},
                {"width", mc.model.width}, {"batch", o.batch}, {"lr", o.lr}, {"seed", o.seed}, {"amp", o.amp},
                {"device", dev.str()}, {"epochs", state["epochs"]}, {"steps", state["steps"]},
                {"img_per_s", img_per_s}, {"wall_s", wall},
                {"peak_host_mb", double(CachingAllocator::for_device(Device::cpu()).peak_bytes()) / 1048576.0}};
  if (!fs::exists(o.out + "/backbone.safetensors"))  // resumed a finished run: still write it
    models::save_backbone(o.out + "/backbone.safetensors", *method->downstream(), meta);
  io::write_file_atomically(o.out + "/loss_curve.json", curve.dump(1) + "\n");
  if (!o.quiet)
    std::printf("pretrain: wrote %s/backbone.safetensors (%s) and loss_curve.json%s\n", o.out.c_str(),
                method->downstream()->backbone().arch().c_str(),
                mc.method == "vae" ? " and reconstructions.png" : "");
  return curve;
}

}  // namespace ss::app
