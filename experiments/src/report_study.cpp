// Reading a study directory (study.toml, study.json, points/*/result.json) and aggregating
// the training points over seeds.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "report_internal.h"
#include "ss/io/atomic_file.h"

namespace ss::app::report_detail {

namespace {

double num_or(const json& j, const char* key, double def = kNaN) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : def;
}
std::string str_field(const json& j, const char* key, const std::string& def, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw std::runtime_error(std::string("missing \"") + key + "\"");
    return def;
  }
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  throw std::runtime_error(std::string("\"") + key + "\" is not a string");
}

void load_point(Study& S, const std::string& id, const std::string& text) {
  const json j = json::parse(text);  // throws on malformed JSON
  if (!j.is_object()) throw std::runtime_error("not a JSON object");
  auto pit = j.find("point");
  if (pit == j.end() || !pit->is_object()) throw std::runtime_error("no \"point\" object");
  const json& p = *pit;
  const std::string kind = str_field(p, "kind", "", true);
  if (kind == "train") {
    TrainPt t;
    t.id = id;
    t.dataset = str_field(p, "dataset", "", true);
    t.task = str_field(p, "task", "classify", false);
    t.model = str_field(p, "model", "unspecified", false);
    t.method = str_field(p, "method", "", true);
    t.n = num_or(p, "n");
    if (!(t.n > 0)) throw std::runtime_error("\"n\" missing or not a positive number");
    t.freeze = (int)num_or(p, "freeze", 0);
    if (p.contains("linear") && !p["linear"].is_boolean()) throw std::runtime_error("\"linear\" is not a boolean");
    t.linear = p.value("linear", false);
    t.seed = (long)num_or(p, "seed", 0);
    t.metric = str_field(j, "primary_metric", default_metric(t.task), false);
    auto tb = j.find("test_at_best_valid");
    if (tb == j.end() || !tb->is_object()) throw std::runtime_error("no \"test_at_best_valid\" object");
    t.test = num_or(*tb, t.metric.c_str());
    if (!std::isfinite(t.test)) throw std::runtime_error("test_at_best_valid has no number \"" + t.metric + "\"");
    t.test_all = *tb;
    if (auto bv = j.find("best_valid"); bv != j.end() && bv->is_object()) {
      t.valid = num_or(*bv, t.metric.c_str());
      t.valid_all = *bv;
    }
    t.model_desc = str_field(j, "model", "", false);
    t.wall_s = num_or(j, "point_wall_s", num_or(j, "wall_s"));  // the whole point (load + train + eval)
    t.img_per_s = num_or(j, "img_per_s");
    S.train.push_back(std::move(t));
  } else if (kind == "pretrain") {
    PretrainPt t;
    t.id = id;
    t.dataset = str_field(p, "dataset", "", true);
    t.model = str_field(p, "model", "unspecified", false);
    t.method = str_field(p, "method", "", true);
    t.seed = (long)num_or(p, "seed", 0);
    t.final_loss = num_or(j, "final_loss");
    t.pretext_acc = num_or(j, "pretext_accuracy");
    t.wall_s = num_or(j, "wall_s");
    t.img_per_s = num_or(j, "img_per_s");
    if (auto lc = j.find("loss_curve"); lc != j.end() && lc->is_array())
      for (auto& v : *lc)
        if (v.is_number()) t.loss_curve.push_back(v.get<double>());
    // the pretrainer's own record: "epochs": [{"epoch", "loss", <method metrics>...}, ...]
    if (auto ep = j.find("epochs"); ep != j.end() && ep->is_array() && !ep->empty()) {
      if (t.loss_curve.empty())
        for (auto& e : *ep)
          if (double l = num_or(e, "loss"); std::isfinite(l)) t.loss_curve.push_back(l);
      const json& last = ep->back();
      if (!std::isfinite(t.pretext_acc) && last.is_object())
        for (auto& [k, v] : last.items())
          if (k.find("acc") != std::string::npos && v.is_number()) {
            t.pretext_acc = v.get<double>();
            break;
          }
    }
    if (!std::isfinite(t.final_loss) && !t.loss_curve.empty()) t.final_loss = t.loss_curve.back();
    if (double w = num_or(j, "point_wall_s"); std::isfinite(w)) t.wall_s = w;
    S.pretrain.push_back(std::move(t));
  } else if (kind == "render") {
    RenderPt r;
    r.id = id;
    r.dataset = str_field(p, "dataset", "", true);
    r.res = (long)num_or(p, "res", num_or(j, "res", 0));
    r.count = (long)num_or(p, "count", num_or(j, "count", 0));
    r.path = str_field(j, "path", "", false);
    r.sheet = str_field(j, "sheet", "", false);
    r.seconds = num_or(j, "point_wall_s", num_or(j, "seconds"));
    S.render.push_back(std::move(r));
  } else {
    throw std::runtime_error("unknown point kind \"" + kind + "\"");
  }
}

Agg aggregate(const std::vector<const TrainPt*>& pts) {
  Agg a;
  double st = 0, sv = 0, vmin = kInf, vmax = -kInf;
  int nv = 0;
  a.test_min = kInf;
  a.test_max = -kInf;
  for (auto* p : pts) {
    st += p->test;
    a.test_min = std::min(a.test_min, p->test);
    a.test_max = std::max(a.test_max, p->test);
    if (std::isfinite(p->valid)) {
      sv += p->valid;
      ++nv;
      vmin = std::min(vmin, p->valid);
      vmax = std::max(vmax, p->valid);
    }
  }
  a.seeds = (int)pts.size();
  if (a.seeds == 0) return a;
  a.test = st / a.seeds;
  a.test_hr = (a.test_max - a.test_min) / 2;
  if (nv > 0) {
    a.valid = sv / nv;
    a.valid_hr = (vmax - vmin) / 2;
  }
  return a;
}

}  // namespace

Study load_study(const std::string& dir) {
  Study S;
  S.dir = dir;
  std::error_code ec;
  if (fs::is_regular_file(dir + "/study.toml", ec)) {
    S.toml = io::read_file(dir + "/study.toml");
    S.has_toml = true;
  }
  if (fs::is_regular_file(dir + "/study.json", ec)) {
    try {
      auto m = nlohmann::ordered_json::parse(io::read_file(dir + "/study.json"));
      if (m.is_object()) {
        S.meta = m;
        S.has_meta = true;
      } else {
        S.warnings.push_back("study.json is not a JSON object: ignored");
      }
    } catch (const std::exception& e) {
      S.warnings.push_back(std::string("study.json could not be read: ") + e.what());
    }
  }
  std::vector<fs::path> dirs;
  if (fs::is_directory(dir + "/points", ec))
    for (auto& e : fs::directory_iterator(dir + "/points", ec))
      if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (auto& d : dirs) {
    const std::string id = d.filename().string();
    const fs::path rj = d / "result.json";
    if (!fs::exists(rj, ec)) {
      ++S.unfinished;
      continue;
    }
    try {
      load_point(S, id, io::read_file(rj.string()));
    } catch (const std::exception& e) {
      ++S.skipped;
      S.warnings.push_back("points/" + id + "/result.json skipped (malformed: " + e.what() + ")");
    }
  }
  return S;
}

std::string acc_cell(const Agg& a) {
  if (a.seeds == 0) return "—";
  std::string s = fnum(a.test);
  if (a.seeds > 1) s += " ± " + fnum(a.test_hr);
  if (std::isfinite(a.valid)) s += " (" + fnum(a.valid) + ")";
  return s;
}

Index::Index(const Study& S) {
  for (auto& t : S.train) groups[{t.task, t.model, t.dataset, t.method, t.linear ? 0 : t.freeze, t.linear, t.n}].push_back(&t);
  for (auto& [k, v] : groups) aggs[k] = aggregate(v);
}
const Agg* Index::find(const std::string& task, const std::string& model, const std::string& ds, const std::string& method,
                       int freeze, bool linear, double n) const {
  auto it = aggs.find(Key{task, model, ds, method, linear ? 0 : freeze, linear, n});
  return it == aggs.end() ? nullptr : &it->second;
}

std::vector<double> distinct_n(const std::vector<const TrainPt*>& pts) {
  std::set<double> s;
  for (auto* p : pts) s.insert(p->n);
  return {s.begin(), s.end()};
}

}  // namespace ss::app::report_detail
