#include "ss/exp/study.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "ss/dtype.h"
#include "ss/exp/pretrain.h"
#include "ss/exp/report.h"
#include "ss/exp/trainer.h"
#include "ss/io/atomic_file.h"
#include "ss/kernels/runtime.h"
#include "ss/progress.h"
#include "ss/render/dataset.h"
#include "ss/platform.h"

namespace ss::app {
namespace fs = std::filesystem;
using nlohmann::json;

json StudyPoint::to_json() const {
  json j = {{"id", id}, {"kind", kind}, {"dataset", dataset}};
  if (kind != "render") j["model"] = model, j["seed"] = seed;
  if (kind != "render") j["method"] = method;
  if (kind == "train")
    j["task"] = task, j["n"] = n, j["freeze"] = freeze, j["linear"] = linear;
  return j;
}

Config load_study_config(const std::string& p, const std::vector<std::string>& sets) {
  std::string path = p;
  if (!fs::exists(path)) {
    const std::string preset = source_dir() + "/experiments/configs/study_" + p + ".toml";
    SS_CHECK(fs::exists(preset), "study: '", p, "' is neither a config file nor a preset (",
             preset, " not found; presets: quick, standard, paper)");
    path = preset;
  }
  return Config::load(path, sets);
}

namespace {

std::string seed_tag(int64_t s) { return "-s" + std::to_string(s); }

std::string dense_tag(const std::string& task) { return task == "classify" ? "" : "m"; }

int res_for(const Config& c, const std::string& task) {
  return task == "classify" ? int(c.integer("data.res", 64)) : int(c.integer("data.dense_res", 128));
}

std::string data_file(const std::string& dir, const Config& c, const std::string& bits,
                      const std::string& task) {
  render::DatasetOptions o;
  o.bits = bits, o.res = res_for(c, task), o.multi = task != "classify", o.out_dir = dir + "/data";
  return render::dataset_path(o);
}

std::string point_dir(const std::string& dir, const std::string& id) { return dir + "/points/" + id; }

}  // namespace

std::vector<StudyPoint> study_points(const Config& c) {
  const auto datasets = c.strings("study.datasets", {"0000"});
  const auto models = c.strings("study.models", {"resnet9"});
  const auto methods = c.strings("study.methods", {"scratch", "vae", "rotation", "cmc", "amdim"});
  const auto tasks = c.strings("study.tasks", {"classify"});
  const auto ns = c.integers("study.ns", {100, 300, 1000, 3000});
  const auto seeds = c.integers("study.seeds", {0});
  const auto freeze = c.integers("study.freeze", {});
  const auto linear_ns = c.integers("study.linear_ns", {});
  const int64_t freeze_n = c.integer("study.freeze_n", ns.empty() ? 1000 : ns[ns.size() / 2]);
  for (auto& m : methods)
    SS_CHECK(m == "scratch" || m == "vae" || m == "rotation" || m == "cmc" || m == "amdim",
             c.origin(), ": study.methods: unknown method '", m, "'");
  std::vector<StudyPoint> render_pts, pre_pts, train_pts;
  for (auto& task : tasks) {
    for (auto& bits : datasets) {
      StudyPoint r;
      r.kind = "render", r.dataset = bits, r.task = task;
      r.id = "render-" + bits + dense_tag(task);
      bool dup = false;
      for (auto& e : render_pts) dup |= e.id == r.id;
      if (!dup) render_pts.push_back(r);
    }
  }
  for (auto& task : tasks)
    for (auto& bits : datasets)
      for (auto& model : models)
        for (auto seed : seeds) {
          for (auto& method : methods) {
            if (method == "scratch") continue;
            StudyPoint p;
            p.kind = "pretrain", p.dataset = bits, p.task = task, p.model = model, p.method = method, p.seed = seed;
            p.id = "pretrain-" + bits + dense_tag(task) + "-" + model + "-" + method + seed_tag(seed);
            bool dup = false;
            for (auto& e : pre_pts) dup |= e.id == p.id;
            if (!dup) pre_pts.push_back(p);
          }
          auto add_train = [&](const std::string& method, int64_t n, int k, bool lin) {
            StudyPoint p;
            p.kind = "train", p.dataset = bits, p.task = task, p.model = model, p.method = method;
            p.n = n, p.freeze = k, p.linear = lin, p.seed = seed;
            p.id = "train-" + bits + "-" + task + "-" + model + "-" + method + "-n" + std::to_string(n) +
                   "-k" + std::to_string(k) + (lin ? "-lin" : "") + seed_tag(seed);
            train_pts.push_back(p);
          };
          for (auto& method : methods)
            for (auto n : ns) add_train(method, n, 0, false);
          for (auto& method : methods)
            for (auto k : freeze)
              if (k > 0 && method != "scratch") add_train(method, freeze_n, int(k), false);
          for (auto& method : methods)
            for (auto n : linear_ns) add_train(method, n, 0, true);
        }
  std::vector<StudyPoint> all = render_pts;
  all.insert(all.end(), pre_pts.begin(), pre_pts.end());
  all.insert(all.end(), train_pts.begin(), train_pts.end());
  return all;
}

std::vector<StudyPoint> shard_points(const std::vector<StudyPoint>& all, int i, int N) {
  SS_CHECK(N >= 1 && i >= 1 && i <= N, "--shard ", i, "/", N, ": expected i/N with 1 <= i <= N");
  std::vector<StudyPoint> out;
  std::map<std::string, int> seen_in_phase;
  for (auto& p : all) {
    const int k = seen_in_phase[p.kind]++;
    if (k % N == i - 1) out.push_back(p);
  }
  return out;
}

bool point_done(const std::string& dir, const std::string& id) {
  const std::string f = point_dir(dir, id) + "/result.json";
  if (!fs::exists(f)) return false;
  try {
    json j = json::parse(io::read_file(f));
    return j.contains("point") && j["point"].value("id", "") == id;
  } catch (const std::exception&) {
    std::fprintf(stderr, "study: %s is corrupt; the point will be rerun\n", f.c_str());
    fs::remove(f);
    return false;
  }
}

namespace {

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

json host_info(const std::string& device) {
  std::string cpu = "unknown";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  const char* blas = std::getenv("OPENBLAS_CORETYPE");
  return {{"cpu", cpu}, {"cores", std::thread::hardware_concurrency()},
          {"cuda_build", cuda::compiled()},
          {"gpu", cuda::device_count() > 0 ? cuda::device_name(0) : "none"},
          {"device", device}, {"openblas_coretype", blas ? blas : "auto"}};
}

models::ModelConfig model_config(const Config& c, const std::string& arch, const std::string& task) {
  models::ModelConfig m;
  m.arch = arch;
  m.width = c.number("model.width", 1.0);
  m.out_feats = int(c.integer(task == "classify" ? "model.out_feats" : "model.dense_out_feats",
                              task == "classify" ? 256 : 512));
  return m;
}

json run_render(const Config& c, const std::string& dir, const StudyPoint& p) {
  render::DatasetOptions o;
  o.bits = p.dataset, o.res = res_for(c, p.task), o.multi = p.task != "classify";
  o.count = c.integer(o.multi ? "data.dense_count" : "data.count", 6000);
  o.seed = uint64_t(c.integer("data.seed", 0));
  o.out_dir = dir + "/data";
  auto r = render::render_dataset(o);
  return {{"path", r.path}, {"sheet", r.sheet.empty() ? "" : fs::relative(r.sheet, dir).string()},
          {"seconds", r.seconds}, {"res", o.res}, {"count", o.count}};
}

json run_pretrain(const Config& c, const std::string& dir, const StudyPoint& p, const std::string& device) {
  PretrainOptions o;
  o.method.method = p.method;
  o.method.model = model_config(c, p.model, p.task);
  // CMC's two views each get half the features; downstream they are concatenated back.
  if (p.method == "cmc") o.method.model.out_feats /= 2;
  o.method.seed = uint64_t(p.seed);
  o.method.nce_k = c.integer("pretrain.cmc_k", o.method.nce_k);
  o.data = data_file(dir, c, p.dataset, p.task);
  o.epochs = int(c.integer("pretrain.epochs", 10));
  o.batch = int(c.integer("pretrain.batch", 0));
  o.warmup_epochs = int(c.integer("pretrain.warmup_epochs", 1));
  o.lr = c.number("pretrain.lr", 0);
  o.min_samples = c.integer("pretrain.min_samples", 0);
  o.augment = c.boolean("pretrain.augment", true);
  o.amp = c.boolean("pretrain.amp", c.boolean("train.amp", false));
  o.channels_last = c.boolean("pretrain.channels_last", c.boolean("train.channels_last", false));
  o.seed = uint64_t(p.seed);
  o.apply_method_defaults();
  o.device = device;
  o.out = point_dir(dir, p.id);
  o.resume = true;
  o.quiet = true;
  return pretrain(o);
}

json run_train(const Config& c, const std::string& dir, const StudyPoint& p, const std::string& device) {
  TrainOptions o;
  o.data = data_file(dir, c, p.dataset, p.task);
  o.task = p.task;
  o.n = p.n;
  o.model = model_config(c, p.model, p.task);
  // A CMC backbone is two half-width streams (L, ab): finetune that architecture.
  if (p.method == "cmc") o.model.arch = p.model + "_cmc";
  o.freeze = p.freeze;
  o.linear_probe = p.linear;
  const std::string sec = p.linear ? "linear." : "train.";
  o.epochs = int(c.integer(sec + "epochs", c.integer("train.epochs", 10)));
  o.batch = int(c.integer(sec + "batch", c.integer("train.batch", 128)));
  o.lr = c.number(sec + "lr", c.number("train.lr", 1e-3));
  o.warmup_epochs = int(c.integer(sec + "warmup_epochs", c.integer("train.warmup_epochs", 1)));
  o.final_lr = c.number("train.final_lr", 1e-6);
  o.weight_decay = c.number("train.weight_decay", 1e-4);
  o.beta1 = c.number("train.beta1", 0.8);
  o.min_samples = c.integer(sec + "min_samples", c.integer("train.min_samples", 10000));
  o.eval_every = int(c.integer("train.eval_every", 1));
  o.eval_max = c.integer("train.eval_max", 0);
  o.augment = c.boolean(sec + "augment", c.boolean("train.augment", true));
  o.amp = c.boolean("train.amp", false);
  o.channels_last = c.boolean("train.channels_last", false);
  o.cuda_graph = c.boolean("train.cuda_graph", false);
  o.seed = uint64_t(p.seed);
  o.device = device;
  o.out = point_dir(dir, p.id);
  o.resume = true;
  o.quiet = true;
  if (p.method != "scratch") {
    const std::string pre = "pretrain-" + p.dataset + dense_tag(p.task) + "-" + p.model + "-" +
                            p.method + seed_tag(p.seed);
    o.init = point_dir(dir, pre) + "/backbone.safetensors";
    SS_CHECK(fs::exists(o.init), "study: point ", p.id, " needs ", o.init,
             " (run the pretrain phase first; with --shard, run all shards of a phase before the next)");
  }
  return train(o);
}

double estimate_img(const Config& c, const StudyPoint& p) {
  if (p.kind == "render") return double(c.integer("data.count", 6000));
  if (p.kind == "pretrain") {
    const double n = double(c.integer("data.count", 6000)) * 5 / 6;
    return n * double(c.integer("pretrain.epochs", 10)) * (p.method == "amdim" || p.method == "cmc" ? 2 : 1);
  }
  const std::string sec = p.linear ? "linear." : "train.";
  const double per_epoch = std::max<double>(double(p.n), double(c.integer(sec + "min_samples", c.integer("train.min_samples", 10000))));
  return per_epoch * double(c.integer(sec + "epochs", c.integer("train.epochs", 10)));
}

}  // namespace

void run_study(const StudyOptions& so) {
  Config c = load_study_config(so.preset_or_config, so.sets);
  const std::string name = c.str("study.name", "study");
  const std::string dir = so.dir.empty() ? "studies/" + name : so.dir;
  std::vector<StudyPoint> pts = study_points(c);
  // Found now, not hours in at the first finetuning point.
  SS_CHECK(!c.boolean("train.cuda_graph", false) || Device::parse(so.device).is_cuda(), c.origin(),
           ": train.cuda_graph needs --device cuda (got '", so.device, "')");
  if (!so.shard.empty()) {
    int i = 0, N = 0;
    SS_CHECK(std::sscanf(so.shard.c_str(), "%d/%d", &i, &N) == 2, "--shard '", so.shard, "': expected i/N");
    pts = shard_points(pts, i, N);
  }
  if (so.dry_run) {
    const double train_ips = c.number("estimate.train_img_per_s", 300.0);
    const double render_ips = c.number("estimate.render_img_per_s", 2000.0);
    std::map<std::string, std::pair<int, double>> by_kind;
    std::printf("%-70s %14s\n", "point", "images");
    for (auto& p : pts) {
      const double img = estimate_img(c, p);
      by_kind[p.kind].first++;
      by_kind[p.kind].second += img;
      std::printf("%-70s %14.0f\n", p.id.c_str(), img);
    }
    double hours = 0;
    for (auto& [k, v] : by_kind) {
      const double h = v.second / (k == "render" ? render_ips : train_ips) / 3600.0;
      hours += h;
      std::printf("%-9s %5d points %16.0f images  ~%.2f h\n", k.c_str(), v.first, v.second, h);
    }
    std::printf("total: %zu points, ~%.1f hours on this device at %.0f img/s training, %.0f img/s rendering "
                "(estimate.* keys; measure with bench_train)\n", pts.size(), hours, train_ips, render_ips);
    return;
  }
  fs::create_directories(dir + "/points");
  io::write_file_atomically(dir + "/study.toml", c.to_toml());
  const std::string meta_path = dir + "/study.json";
  json meta = json::object();
  if (fs::exists(meta_path)) {
    try {
      meta = json::parse(io::read_file(meta_path));
    } catch (const std::exception&) {
      meta = json::object();
    }
  }
  meta["name"] = name;
  meta["preset"] = so.preset_or_config;
  if (!meta.contains("started")) meta["started"] = iso_now();
  meta["host"] = host_info(so.device);
  meta["notes"] = c.strings("study.notes", {});
  if (!meta.contains("phases")) meta["phases"] = json::object();
  int64_t done = 0;
  for (auto& p : pts) done += point_done(dir, p.id);
  std::printf("study %s: %zu points (%lld already done) in %s\n", name.c_str(), pts.size(),
              (long long)done, dir.c_str());
  Progress overall("study " + name, int64_t(pts.size()), "pt");
  overall.update(done);
  for (auto& p : pts) {
    if (point_done(dir, p.id)) continue;
    const auto t0 = std::chrono::steady_clock::now();
    std::fprintf(stderr, "study: %s\n", p.id.c_str());
    fs::create_directories(point_dir(dir, p.id));
    json r = p.kind == "render" ? run_render(c, dir, p)
             : p.kind == "pretrain" ? run_pretrain(c, dir, p, so.device)
                                    : run_train(c, dir, p, so.device);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r["point"] = p.to_json();
    r["point_wall_s"] = secs;
    io::write_file_atomically(point_dir(dir, p.id) + "/result.json", r.dump(2) + "\n");
    meta["phases"][p.kind] = meta["phases"].value(p.kind, 0.0) + secs;
    io::write_file_atomically(meta_path, meta.dump(2) + "\n");
    overall.add(1, p.id);
  }
  overall.finish();
  meta["finished"] = iso_now();
  io::write_file_atomically(meta_path, meta.dump(2) + "\n");
  if (!so.no_report && so.shard.empty()) {
    write_report(dir);
    std::printf("study %s: report at %s/report/report.html\n", name.c_str(), dir.c_str());
  }
}

void add_study_command(CLI::App& app) {
  auto o = std::make_shared<StudyOptions>();
  auto* cmd = app.add_subcommand("study", "Run a whole study (render, pretrain, scratch + finetune sweeps, report)");
  cmd->add_option("--preset,-p", o->preset_or_config, "quick | standard | paper, or a study TOML file")->capture_default_str();
  cmd->add_option("--set", o->sets, "override a config key (repeatable), e.g. --set study.ns=[100,1000]");
  cmd->add_option("--dir", o->dir, "study directory (default studies/<name>)");
  cmd->add_option("--shard", o->shard, "run shard i/N of every phase (e.g. Slurm array: --shard $((SLURM_ARRAY_TASK_ID+1))/$SLURM_ARRAY_TASK_COUNT)");
  cmd->add_option("--device", o->device, "cpu or cuda")->capture_default_str();
  cmd->add_flag("--dry-run", o->dry_run, "print the points and an estimated cost, run nothing");
  cmd->add_flag("--no-report", o->no_report, "skip writing the report at the end");
  cmd->callback([o] { run_study(*o); });
}

}  // namespace ss::app
