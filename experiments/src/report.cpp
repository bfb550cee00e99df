// `selfstudy report`: a study directory -> report.md + report.html (+ fig-*.png).
#include "ss/exp/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "ss/exp/utility.h"
#include "ss/io/atomic_file.h"

namespace ss::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using report::Block;
using report::Panel;
using report::Section;
using report::Series;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------- formatting helpers

std::string f(const char* fmt, double v) {
  char b[64];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}
std::string fnum(double v, int prec = 3) {
  if (!std::isfinite(v)) return "—";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}
std::string fn(double n) {
  char b[64];
  if (n == std::floor(n) && std::fabs(n) < 1e15) std::snprintf(b, sizeof b, "%.0f", n);
  else std::snprintf(b, sizeof b, "%g", n);
  return b;
}
std::string hms(double s) {
  if (!std::isfinite(s) || s < 0) return "—";
  const long t = std::lround(s);
  char b[64];
  std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  return b;
}
std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string o;
  for (size_t i = 0; i < v.size(); ++i) o += (i ? sep : "") + v[i];
  return o;
}
template <class J>
std::string json_text(const J& j) {
  if (j.is_null()) return "—";
  if (j.is_string()) return j.template get<std::string>();
  if (j.is_number_float()) return f("%.6g", j.template get<double>());
  return j.dump();
}
std::string now_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char b[64];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}
std::string safe_name(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum((unsigned char)c) || c == '-' || c == '.') ? c : '_';
  return o;
}

std::string model_label(const std::string& m) {
  if (m == "resnet9") return "ResNet9";
  if (m == "resnet50") return "ResNet50";
  return m;
}
int method_rank(const std::string& m) {
  static const char* order[] = {"scratch", "vae", "rotation", "cmc", "amdim"};
  for (int i = 0; i < 5; ++i)
    if (m == order[i]) return i;
  return 10;
}
bool model_less(const std::string& a, const std::string& b) {
  auto r = [](const std::string& m) { return m == "resnet9" ? 0 : m == "resnet50" ? 1 : 2; };
  return r(a) != r(b) ? r(a) < r(b) : a < b;
}
bool method_less(const std::string& a, const std::string& b) {
  const int ra = method_rank(a), rb = method_rank(b);
  return ra != rb ? ra < rb : a < b;
}
std::string method_color(const std::string& m) {
  static const std::map<std::string, std::string> fixed = {
      {"scratch", "#000000"}, {"vae", "#1f77b4"}, {"rotation", "#ff7f0e"}, {"cmc", "#2ca02c"}, {"amdim", "#d62728"}};
  static const char* extra[] = {"#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
  auto it = fixed.find(m);
  if (it != fixed.end()) return it->second;
  return extra[std::hash<std::string>{}(m) % 6];
}
bool is_bits(const std::string& d) {
  return d.size() == 4 && std::all_of(d.begin(), d.end(), [](char c) { return c == '0' || c == '1'; });
}
std::string dataset_factors(const std::string& d) {
  if (!is_bits(d)) return "";
  static const char* names[] = {"texture", "random colour", "random viewpoint", "random lighting"};
  std::vector<std::string> on;
  for (int i = 0; i < 4; ++i)
    if (d[i] == '1') on.push_back(names[i]);
  return on.empty() ? "plain" : join(on, ", ");
}
std::string dataset_label(const std::string& d) {
  const std::string fac = dataset_factors(d);
  return fac.empty() ? d : d + " (" + fac + ")";
}
bool is_dense(const std::string& task) { return task == "segment" || task == "depth"; }
std::string default_metric(const std::string& task) {
  if (task == "segment") return "pixel_accuracy";
  if (task == "depth") return "delta_1.25";
  return "class_accuracy";
}

// ---------------------------------------------------------------- the study's points

struct TrainPt {
  std::string id, dataset, task, model, method, metric, model_desc;
  double n = 0;
  int freeze = 0;
  bool linear = false;
  long seed = 0;
  double test = kNaN, valid = kNaN, wall_s = kNaN, img_per_s = kNaN;
  json test_all, valid_all;
};
struct PretrainPt {
  std::string id, dataset, model, method;
  long seed = 0;
  double final_loss = kNaN, pretext_acc = kNaN, wall_s = kNaN, img_per_s = kNaN;
  std::vector<double> loss_curve;
};
struct RenderPt {
  std::string id, dataset, path, sheet;
  long res = 0, count = 0;
  double seconds = kNaN;
};

struct Study {
  std::string dir;
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  bool has_meta = false, has_toml = false;
  std::string toml;
  std::vector<TrainPt> train;
  std::vector<PretrainPt> pretrain;
  std::vector<RenderPt> render;
  std::vector<std::string> warnings;
  int skipped = 0, unfinished = 0;
};

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

// ---------------------------------------------------------------- aggregation over seeds

struct Agg {
  double test = kNaN, test_hr = 0, valid = kNaN, valid_hr = 0, test_min = kNaN, test_max = kNaN;
  int seeds = 0;
};

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

std::string acc_cell(const Agg& a) {
  if (a.seeds == 0) return "—";
  std::string s = fnum(a.test);
  if (a.seeds > 1) s += " ± " + fnum(a.test_hr);
  if (std::isfinite(a.valid)) s += " (" + fnum(a.valid) + ")";
  return s;
}

// (task, model, dataset, method, freeze, linear, n)
using Key = std::tuple<std::string, std::string, std::string, std::string, int, bool, double>;

struct Index {
  std::map<Key, std::vector<const TrainPt*>> groups;
  std::map<Key, Agg> aggs;
  explicit Index(const Study& S) {
    for (auto& t : S.train) groups[{t.task, t.model, t.dataset, t.method, t.linear ? 0 : t.freeze, t.linear, t.n}].push_back(&t);
    for (auto& [k, v] : groups) aggs[k] = aggregate(v);
  }
  const Agg* find(const std::string& task, const std::string& model, const std::string& ds, const std::string& method,
                  int freeze, bool linear, double n) const {
    auto it = aggs.find(Key{task, model, ds, method, linear ? 0 : freeze, linear, n});
    return it == aggs.end() ? nullptr : &it->second;
  }
};

// ---------------------------------------------------------------- utility cells

struct UCell {
  bool ok = false;
  Utility u, lo, hi;  // on the mean; for the lowest / highest seed
  int seeds = 0;
};

// "%.2f" without a "-0.00" for values that only round to zero.
std::string f2(double v) {
  std::string s = f("%.2f", v);
  return s == "-0.00" ? "0.00" : s;
}
// As Utility::str(): "0.85", "> 3.20 (beyond sweep)", "< -0.90 (below sweep)".
std::string ustr(const Utility& u) {
  switch (u.kind) {
    case Utility::Kind::AboveSweep: return "> " + f2(u.utility) + " (beyond sweep)";
    case Utility::Kind::BelowSweep: return "< " + f2(u.utility) + " (below sweep)";
    default: return f2(u.utility);
  }
}
std::string compact(const Utility& u) {
  switch (u.kind) {
    case Utility::Kind::AboveSweep: return ">" + f2(u.utility);
    case Utility::Kind::BelowSweep: return "<" + f2(u.utility);
    default: return f2(u.utility);
  }
}
double clean(double v) { return std::fabs(v) < 1e-9 ? 0.0 : v; }
std::string ucell_str(const UCell& c) {
  if (!c.ok) return "—";
  std::string s = ustr(c.u);
  if (c.seeds > 1) s += " [" + compact(c.lo) + ", " + compact(c.hi) + "]";
  if (!c.u.scratch_monotone) s += " †";
  return s;
}
// The interval the true utility lies in: exact [u, u]; beyond the sweep [u, inf); below (-1, u].
std::pair<double, double> interval(const Utility& u) {
  switch (u.kind) {
    case Utility::Kind::AboveSweep: return {u.utility, kInf};
    case Utility::Kind::BelowSweep: return {-1.0, u.utility};
    default: return {u.utility, u.utility};
  }
}

// +1: pretraining helps (U > 0), -1: it hurts (U < 0), 0: no difference, 2: unknown (a bound
// that does not decide the sign). Bounds are strict: "beyond sweep" means U > value.
int utility_sign(const Utility& u) {
  constexpr double tol = 1e-9;  // floating-point noise of the log-n interpolation
  switch (u.kind) {
    case Utility::Kind::AboveSweep: return u.utility >= -tol ? 1 : 2;
    case Utility::Kind::BelowSweep: return u.utility <= tol ? -1 : 2;
    default: return u.utility > tol ? 1 : u.utility < -tol ? -1 : 0;
  }
}

UCell util_cell(const std::vector<CurvePoint>& scratch, double n, const Agg* a) {
  UCell c;
  if (!a || a->seeds == 0 || scratch.empty()) return c;
  c.ok = true;
  c.seeds = a->seeds;
  c.u = utility_at(scratch, n, a->test);
  c.lo = utility_at(scratch, n, a->test_min);
  c.hi = utility_at(scratch, n, a->test_max);
  return c;
}

std::vector<CurvePoint> scratch_curve(const Index& I, const std::string& task, const std::string& model,
                                      const std::string& ds, int freeze = 0, bool linear = false) {
  std::vector<CurvePoint> c;
  for (auto& [k, a] : I.aggs)
    if (std::get<0>(k) == task && std::get<1>(k) == model && std::get<2>(k) == ds && std::get<3>(k) == "scratch" &&
        std::get<4>(k) == freeze && std::get<5>(k) == linear)
      c.push_back({std::get<6>(k), a.test});
  return c;
}

// ---------------------------------------------------------------- report context

Block text_block(Block::Kind k, const std::string& s) {
  Block b;
  b.kind = k;
  b.text = s;
  return b;
}
Block para(const std::string& s) { return text_block(Block::Kind::Para, s); }
Block note(const std::string& s) { return text_block(Block::Kind::Note, s); }
Block heading(const std::string& s) { return text_block(Block::Kind::Heading, s); }

struct Findings {
  std::string topic;
  std::vector<std::pair<std::string, std::string>> items;  // (topic, sentence)
  void push_back(std::string s) { items.push_back({topic, std::move(s)}); }
};

struct Ctx {
  const Study& S;
  const Index& I;
  report::Plotter& plotter;
  std::string report_dir;
  ReportSummary& out;
  Findings findings;
  std::set<std::string> used_names, plot_names;  // names handed out; figures written
  bool plot_note_given = false;

  void plot(Section& sec, const std::string& base, const std::string& title, const std::vector<Panel>& panels, int cols,
            int w, int h, const std::string& caption) {
    std::string name = "fig-" + safe_name(base) + ".png";
    for (int k = 2; used_names.count(name); ++k) name = "fig-" + safe_name(base) + "-" + std::to_string(k) + ".png";
    used_names.insert(name);
    if (!plotter.available()) {
      sec.blocks.push_back(note("Plot not drawn (" + plotter.why_not() + "): " + caption));
      return;
    }
    std::string err;
    if (plotter.plot(name, title, panels, cols, w, h, &err)) {
      Block b;
      b.kind = Block::Kind::Image;
      b.text = caption;
      b.href = name;
      b.file = report_dir + "/" + name;
      sec.blocks.push_back(b);
      out.plots.push_back(b.file);
      plot_names.insert(name);
    } else {
      out.warnings.push_back("plot " + name + " failed: " + err);
      sec.blocks.push_back(note("Plot " + name + " failed: " + err));
    }
  }
};

Block table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
  Block b;
  b.kind = Block::Kind::Table;
  b.header = std::move(header);
  b.rows = std::move(rows);
  return b;
}
Block list(std::vector<std::string> items) {
  Block b;
  b.kind = Block::Kind::List;
  b.items = std::move(items);
  return b;
}

template <class Pred>
std::vector<const TrainPt*> select(const Study& S, Pred pred) {
  std::vector<const TrainPt*> v;
  for (auto& t : S.train)
    if (pred(t)) v.push_back(&t);
  return v;
}
template <class Fn>
std::vector<std::string> distinct(const std::vector<const TrainPt*>& pts, Fn fn) {
  std::set<std::string> s;
  for (auto* p : pts) s.insert(fn(*p));
  return {s.begin(), s.end()};
}
std::vector<double> distinct_n(const std::vector<const TrainPt*>& pts) {
  std::set<double> s;
  for (auto* p : pts) s.insert(p->n);
  return {s.begin(), s.end()};
}
std::vector<std::string> sorted_models(std::vector<std::string> m) {
  std::sort(m.begin(), m.end(), model_less);
  return m;
}
std::vector<std::string> sorted_methods(std::vector<std::string> m) {
  std::sort(m.begin(), m.end(), method_less);
  return m;
}

// Utility series (exact values joined by a line; bounds as triangles) for one method.
void add_utility_series(Panel& P, const std::string& title, const std::string& color, int dash,
                        const std::vector<std::pair<double, UCell>>& cells, bool* any_above, bool* any_below) {
  Series ex, ab, be;
  ex.title = title;
  ex.color = ab.color = be.color = color;
  ex.dash = dash;
  ab.lines = be.lines = false;
  ab.point_type = 9;
  be.point_type = 11;
  for (auto& [x, c] : cells) {
    if (!c.ok) continue;
    if (c.u.kind == Utility::Kind::Exact) ex.xy.push_back({x, clean(c.u.utility)});
    else if (c.u.kind == Utility::Kind::AboveSweep) ab.xy.push_back({x, clean(c.u.utility)});
    else be.xy.push_back({x, clean(c.u.utility)});
  }
  if (ex.xy.empty()) {  // keep the legend entry for the colour
    ex.lines = false;
  }
  *any_above |= !ab.xy.empty();
  *any_below |= !be.xy.empty();
  P.series.push_back(ex);
  if (!ab.xy.empty()) P.series.push_back(ab);
  if (!be.xy.empty()) P.series.push_back(be);
}
void add_bound_legend(Panel& P, bool above, bool below) {
  if (above) {
    Series s;
    s.title = "beyond sweep (U > marker)";
    s.color = "#444444";
    s.point_type = 9;
    s.lines = false;
    P.series.push_back(s);
  }
  if (below) {
    Series s;
    s.title = "below sweep (U < marker)";
    s.color = "#444444";
    s.point_type = 11;
    s.lines = false;
    P.series.push_back(s);
  }
}
Series acc_series(const std::string& title, const std::string& color, int dash, int pt,
                  const std::vector<std::pair<double, const Agg*>>& pts) {
  Series s;
  s.title = title;
  s.color = color;
  s.dash = dash;
  s.point_type = pt;
  bool spread = false;
  for (auto& [x, a] : pts)
    if (a && a->seeds > 1) spread = true;
  for (auto& [x, a] : pts) {
    if (!a || a->seeds == 0) continue;
    s.xy.push_back({x, a->test});
    if (spread) s.y_err.push_back(a->test_hr);
  }
  return s;
}

// Describe how a method's utility moves from its smallest to its largest n.
struct Trend {
  std::string method, text;
  int dir = 0;  // -1 falls, +1 rises, 0 flat, 2 undetermined
};
Trend utility_trend(const std::string& method, const std::vector<std::pair<double, UCell>>& cells) {
  Trend t;
  t.method = method;
  const std::pair<double, UCell>*first = nullptr, *last = nullptr;
  for (auto& c : cells)
    if (c.second.ok) {
      if (!first) first = &c;
      last = &c;
    }
  if (!first || first == last) {
    t.dir = 3;
    return t;
  }
  auto [lo1, hi1] = interval(first->second.u);
  auto [lo2, hi2] = interval(last->second.u);
  if (hi2 < lo1) t.dir = -1;
  else if (lo2 > hi1) t.dir = 1;
  else if (lo1 == hi1 && lo2 == hi2) t.dir = 0;
  else t.dir = 2;
  t.text = method + " " + ustr(first->second.u) + " at n=" + fn(first->first) + " → " + ustr(last->second.u) +
           " at n=" + fn(last->first);
  return t;
}

// ---------------------------------------------------------------- analyses 1 and 6: utility

void utility_analysis(Ctx& C, Section& sec, bool dense) {
  auto pts = select(C.S, [&](const TrainPt& t) { return !t.linear && t.freeze == 0 && is_dense(t.task) == dense; });
  if (pts.empty()) {
    sec.blocks.push_back(para(dense ? "No dense-task (segmentation / depth) points in this study."
                                    : "No finetuning points (freeze 0, not linear) in this study: no utility to compute."));
    if (!dense) C.findings.push_back("No finetuning points are finished yet, so there is no utility curve to report.");
    return;
  }
  if (dense)
    sec.blocks.push_back(para("Segmentation (pixel accuracy) and depth (δ < 1.25) on the multi-object data: accuracy and "
                              "utility exactly as in section 1."));
  else
    sec.blocks.push_back(para(
      "U(n) = n̂/n − 1, where n̂ is the number of labels the scratch model needs to match the pretrained model's "
      "accuracy at n; n̂ is interpolated linearly in log n on the scratch curve (REFERENCE §1). Finetuned accuracies "
      "above every scratch point give a lower bound \"> x (beyond sweep)\", below every scratch point an upper bound "
      "\"< x (below sweep)\" — never an extrapolated number. With several seeds, U is computed on the mean accuracy and "
      "[lo, hi] is the U of the worst and best seed against the mean scratch curve. Accuracy cells: test@best-valid "
      "mean ± half-range over seeds, best-valid mean in parentheses. † marks a non-monotone scratch curve (its running "
      "maximum was used)."));
  for (auto& task : distinct(pts, [](auto& t) { return t.task; }))
    for (auto& model : sorted_models(distinct(pts, [](auto& t) { return t.model; })))
      for (auto& ds : distinct(pts, [](auto& t) { return t.dataset; })) {
        auto g = select(C.S, [&](const TrainPt& t) {
          return !t.linear && t.freeze == 0 && t.task == task && t.model == model && t.dataset == ds;
        });
        if (g.empty()) continue;
        const auto methods = sorted_methods(distinct(g, [](auto& t) { return t.method; }));
        const auto ns = distinct_n(g);
        const std::string metric = g.front()->metric;
        const std::string where = model_label(model) + ", dataset " + ds + ", " + task;
        sec.blocks.push_back(heading(model_label(model) + " · dataset " + dataset_label(ds) + " · " + task + " (" + metric + ")"));
        // accuracy table
        std::vector<std::string> hdr = {"n"};
        for (auto& m : methods) hdr.push_back(m);
        std::vector<std::vector<std::string>> rows;
        for (double n : ns) {
          std::vector<std::string> r = {fn(n)};
          for (auto& m : methods) {
            const Agg* a = C.I.find(task, model, ds, m, 0, false, n);
            r.push_back(a ? acc_cell(*a) : "—");
          }
          rows.push_back(r);
        }
        sec.blocks.push_back(para("Accuracy (" + metric + ", test@best-valid ± half-range, (best-valid)):"));
        sec.blocks.push_back(table(hdr, rows));

        const auto scratch = scratch_curve(C.I, task, model, ds);
        std::vector<std::string> pre;
        for (auto& m : methods)
          if (m != "scratch") pre.push_back(m);
        std::map<std::string, std::vector<std::pair<double, UCell>>> cells;
        bool non_monotone = false;
        if (scratch.empty()) {
          sec.blocks.push_back(note("No scratch points for " + where + ": utility needs the scratch curve a(n)."));
        } else if (pre.empty()) {
          sec.blocks.push_back(note("Only scratch points for " + where + ": no pretrained method to compare."));
        } else {
          std::vector<std::string> uh = {"n"};
          for (auto& m : pre) uh.push_back("U " + m);
          std::vector<std::vector<std::string>> ur;
          for (double n : ns) {
            std::vector<std::string> r = {fn(n)};
            for (auto& m : pre) {
              UCell c = util_cell(scratch, n, C.I.find(task, model, ds, m, 0, false, n));
              if (c.ok) {
                cells[m].push_back({n, c});
                non_monotone |= !c.u.scratch_monotone;
              }
              r.push_back(ucell_str(c));
            }
            ur.push_back(r);
          }
          sec.blocks.push_back(para("Utility U(n):"));
          sec.blocks.push_back(table(uh, ur));
          if (scratch.size() == 1)
            sec.blocks.push_back(note("The scratch curve has a single n, so utilities are bounds or 0."));
          if (non_monotone)
            sec.blocks.push_back(note("The scratch curve is not monotone in n (†): its running maximum was used."));
        }
        // plots
        Panel acc;
        acc.title = "Accuracy vs labelled images";
        acc.xlabel = "labelled training images n (log scale)";
        acc.ylabel = metric + " (test@best-valid)";
        acc.logx = true;
        acc.xtics = ns;
        for (auto& m : methods) {
          std::vector<std::pair<double, const Agg*>> v;
          for (double n : ns) v.push_back({n, C.I.find(task, model, ds, m, 0, false, n)});
          acc.series.push_back(acc_series(m, method_color(m), m == "scratch" ? 2 : 1, 7, v));
        }
        std::vector<Panel> panels = {acc};
        if (!cells.empty()) {
          Panel up;
          up.title = "Utility U(n) = n̂/n − 1";
          up.xlabel = acc.xlabel;
          up.ylabel = "U(n)";
          up.logx = true;
          up.xtics = ns;
          up.zero_line = true;
          bool ab = false, be = false;
          for (auto& m : pre) add_utility_series(up, m, method_color(m), 1, cells[m], &ab, &be);
          add_bound_legend(up, ab, be);
          panels.insert(panels.begin(), up);
        }
        C.plot(sec, (dense ? "dense-" : "utility-") + task + "-" + model + "-" + ds,
               model_label(model) + " · dataset " + ds + " · " + task, panels, (int)panels.size(),
               panels.size() * 600, 540,
               std::string(panels.size() > 1 ? "Utility (left) and accuracy (right)" : "Accuracy") + " vs n for " + where +
                   "; error bars: half-range over seeds.");

        // findings
        if (!cells.empty()) {
          std::vector<Trend> tr;
          for (auto& m : pre)
            if (cells.count(m)) tr.push_back(utility_trend(m, cells[m]));
          std::vector<std::string> falls, rises, flat, undet;
          int with2 = 0;
          for (auto& t : tr) {
            if (t.dir == 3) continue;
            ++with2;
            (t.dir == -1 ? falls : t.dir == 1 ? rises : t.dir == 0 ? flat : undet).push_back(t.text);
          }
          if (with2 > 0) {
            std::string s = "Utility falls with n for " + std::to_string(falls.size()) + " of " + std::to_string(with2) +
                            " methods (" + where + ")";
            s += falls.empty() ? "." : ": " + join(falls, "; ") + ".";
            if (!rises.empty()) s += " It rises for " + join(rises, "; ") + ".";
            if (!flat.empty()) s += " Unchanged: " + join(flat, "; ") + ".";
            if (!undet.empty()) s += " Direction undetermined (bounds overlap): " + join(undet, "; ") + ".";
            if (falls.size() * 2 > (size_t)with2)
              s += " This agrees with the paper, where the benefit of pretraining shrinks as labels grow.";
            else if (rises.size() * 2 > (size_t)with2)
              s += " This disagrees with the paper, where the benefit of pretraining shrinks as labels grow.";
            else if (falls.empty() && rises.empty() && flat.empty())
              s += " The bounds leave the direction open, so the paper's finding (utility shrinks as labels grow) is "
                   "neither confirmed nor contradicted here.";
            else
              s += " The paper finds utility shrinking as labels grow; here that holds for " + std::to_string(falls.size()) +
                   " of " + std::to_string(with2) + " methods only.";
            C.findings.push_back(s);
          }
          int pos = 0, neg = 0, tie = 0, tot = 0;
          for (auto& [m, v] : cells)
            for (auto& [n, c] : v) {
              ++tot;
              const int sg = utility_sign(c.u);
              pos += sg == 1, neg += sg == -1, tie += sg == 0;
            }
          std::string s = "Pretraining beats scratch (U > 0) at " + std::to_string(pos) + " of " + std::to_string(tot) +
                          " (method, n) points and is worse (U < 0) at " + std::to_string(neg);
          if (tie) s += ", equal at " + std::to_string(tie);
          if (tot - pos - neg - tie) s += ", undecided (bound) at " + std::to_string(tot - pos - neg - tie);
          C.findings.push_back(s + " (" + where + ").");
          const double nmax = ns.back();
          const Agg* sa = C.I.find(task, model, ds, "scratch", 0, false, nmax);
          std::string best;
          double best_acc = -kInf;
          for (auto& m : pre)
            if (const Agg* a = C.I.find(task, model, ds, m, 0, false, nmax); a && a->test > best_acc) {
              best_acc = a->test;
              best = m;
            }
          if (sa && !best.empty())
            C.findings.push_back("At the largest n (" + fn(nmax) + ", " + where + ") the best pretrained method is " + best +
                                 " with " + fnum(best_acc) + " vs scratch " + fnum(sa->test) + " (" +
                                 (best_acc >= sa->test ? "+" : "") + fnum(best_acc - sa->test) + ")" +
                                 (non_monotone ? "; the scratch curve is not monotone, so utility is measured against its "
                                                 "running maximum and can be negative where the accuracy is higher."
                                               : "."));
        }
      }
}

// ---------------------------------------------------------------- analysis 2: model size

void model_size_analysis(Ctx& C, Section& sec) {
  auto pts = select(C.S, [](const TrainPt& t) { return !t.linear && t.freeze == 0 && !is_dense(t.task); });
  const auto models = sorted_models(distinct(pts, [](auto& t) { return t.model; }));
  if (models.size() < 2) {
    sec.blocks.push_back(para(models.empty() ? "No finetuning points in this study."
                                             : "One model in this study (" + model_label(models[0]) +
                                                   "): no model-size comparison."));
    if (models.size() == 1) C.findings.push_back("Model size: one model in this study (" + model_label(models[0]) + "), so no ResNet9 vs ResNet50 comparison.");
    return;
  }
  sec.blocks.push_back(para("Accuracy per model and method (test@best-valid mean ± half-range) with U(n) against the same "
                            "model's scratch curve in brackets. Solid lines: first model, dashed: second, and so on."));
  for (auto& task : distinct(pts, [](auto& t) { return t.task; }))
    for (auto& ds : distinct(pts, [](auto& t) { return t.dataset; })) {
      auto g = select(C.S, [&](const TrainPt& t) { return !t.linear && t.freeze == 0 && t.task == task && t.dataset == ds; });
      auto ms = sorted_models(distinct(g, [](auto& t) { return t.model; }));
      if (g.empty()) continue;
      const std::string where = "dataset " + ds + ", " + task;
      sec.blocks.push_back(heading("Dataset " + dataset_label(ds) + " · " + task));
      if (ms.size() < 2) {
        sec.blocks.push_back(para("Only " + model_label(ms[0]) + " was run on this dataset."));
        continue;
      }
      const auto ns = distinct_n(g);
      const auto methods = sorted_methods(distinct(g, [](auto& t) { return t.method; }));
      std::vector<std::string> hdr = {"model", "method"};
      for (double n : ns) hdr.push_back("n=" + fn(n));
      std::vector<std::vector<std::string>> rows;
      Panel acc, up;
      acc.title = "Accuracy vs n";
      up.title = "Utility U(n)";
      acc.xlabel = up.xlabel = "labelled training images n (log scale)";
      acc.ylabel = g.front()->metric;
      up.ylabel = "U(n)";
      acc.logx = up.logx = true;
      acc.xtics = up.xtics = ns;
      up.zero_line = true;
      bool ab = false, be = false;
      std::map<std::string, std::map<std::pair<std::string, double>, double>> exact_u;  // model -> (method, n) -> U
      for (size_t mi = 0; mi < ms.size(); ++mi) {
        const auto& model = ms[mi];
        const auto scratch = scratch_curve(C.I, task, model, ds);
        for (auto& m : methods) {
          std::vector<std::string> r = {model_label(model), m};
          std::vector<std::pair<double, const Agg*>> v;
          std::vector<std::pair<double, UCell>> uc;
          bool any = false;
          for (double n : ns) {
            const Agg* a = C.I.find(task, model, ds, m, 0, false, n);
            v.push_back({n, a});
            std::string cell = a ? acc_cell(*a) : "—";
            if (a && m != "scratch" && !scratch.empty()) {
              UCell c = util_cell(scratch, n, a);
              uc.push_back({n, c});
              cell += " [U " + compact(c.u) + "]";
              if (c.u.kind == Utility::Kind::Exact) exact_u[model][{m, n}] = c.u.utility;
            }
            any |= a != nullptr;
            r.push_back(cell);
          }
          if (!any) continue;
          rows.push_back(r);
          acc.series.push_back(acc_series(model_label(model) + " " + m, method_color(m), (int)mi + 1, mi == 0 ? 7 : 5, v));
          if (!uc.empty()) add_utility_series(up, model_label(model) + " " + m, method_color(m), (int)mi + 1, uc, &ab, &be);
        }
      }
      add_bound_legend(up, ab, be);
      sec.blocks.push_back(table(hdr, rows));
      C.plot(sec, "model-size-" + task + "-" + ds, "Model size · dataset " + ds + " · " + task, {acc, up}, 2, 1300, 620,
             "Model size on " + where + ": accuracy (left) and utility (right) vs n; colour = method, dash = model.");
      // findings: scratch accuracy at the largest n both models have, and mean exact utility
      std::vector<std::string> parts;
      for (double n : std::vector<double>(ns.rbegin(), ns.rend())) {
        bool all = true;
        for (auto& model : ms) all &= C.I.find(task, model, ds, "scratch", 0, false, n) != nullptr;
        if (!all) continue;
        for (auto& model : ms) parts.push_back(model_label(model) + " " + fnum(C.I.find(task, model, ds, "scratch", 0, false, n)->test));
        C.findings.push_back("Model size (" + where + "): scratch accuracy at n=" + fn(n) + " is " + join(parts, " vs ") + ".");
        break;
      }
      // utility on the (method, n) pairs where every model has an exact value
      std::vector<std::pair<std::string, double>> common;
      for (auto& [key, u] : exact_u[ms[0]]) {
        bool all = true;
        for (auto& model : ms) all &= exact_u[model].count(key) > 0;
        if (all) common.push_back(key);
      }
      parts.clear();
      if (common.empty()) {
        C.findings.push_back("Model size (" + where + "): no (method, n) pair has an exact utility for every model, so their utilities are not compared.");
      } else {
        for (auto& model : ms) {
          double sum = 0;
          for (auto& key : common) sum += exact_u[model][key];
          parts.push_back(model_label(model) + " " + f2(sum / common.size()));
        }
        std::string s = "Model size (" + where + "): mean utility over the " + std::to_string(common.size()) +
                        " (method, n) pairs with an exact value for every model: " + join(parts, " vs ");
        if (common.size() <= 4) {
          std::vector<std::string> each;
          for (auto& key : common) {
            std::vector<std::string> us;
            for (auto& model : ms) us.push_back(f2(exact_u[model][key]));
            each.push_back(key.first + " at n=" + fn(key.second) + ": " + join(us, " vs "));
          }
          s += " (" + join(each, "; ") + ")";
        }
        C.findings.push_back(s + ".");
      }
    }
}

// ---------------------------------------------------------------- analysis 3: data complexity

void complexity_analysis(Ctx& C, Section& sec) {
  auto pts = select(C.S, [](const TrainPt& t) { return !t.linear && t.freeze == 0 && !is_dense(t.task); });
  if (pts.empty()) {
    sec.blocks.push_back(para("No finetuning points in this study."));
    return;
  }
  sec.blocks.push_back(para(
      "Dataset names are the TCVL bits (texture, colour, viewpoint, lighting; 1 = randomised). Datasets are ordered "
      "easy → hard by scratch accuracy at the largest n that all of them have. Cells: U(n) as in section 1."));
  for (auto& task : distinct(pts, [](auto& t) { return t.task; }))
    for (auto& model : sorted_models(distinct(pts, [](auto& t) { return t.model; }))) {
      auto g = select(C.S, [&](const TrainPt& t) { return !t.linear && t.freeze == 0 && t.task == task && t.model == model; });
      if (g.empty()) continue;
      const std::string where = model_label(model) + ", " + task;
      sec.blocks.push_back(heading(model_label(model) + " · " + task));
      std::vector<std::string> dss;
      std::map<std::string, std::vector<CurvePoint>> sc;
      for (auto& ds : distinct(g, [](auto& t) { return t.dataset; })) {
        sc[ds] = scratch_curve(C.I, task, model, ds);
        if (!sc[ds].empty()) dss.push_back(ds);
      }
      if (dss.empty()) {
        sec.blocks.push_back(note("No scratch points: datasets cannot be ranked or utility computed."));
        continue;
      }
      // the largest n common to all scratch curves
      double rank_n = -1;
      std::set<double> common;
      for (auto& p : sc[dss[0]]) common.insert(p.n);
      for (auto& ds : dss) {
        std::set<double> s, keep;
        for (auto& p : sc[ds]) s.insert(p.n);
        for (double n : common)
          if (s.count(n)) keep.insert(n);
        common = keep;
      }
      if (!common.empty()) rank_n = *common.rbegin();
      auto rank_acc = [&](const std::string& ds) {
        double n = rank_n;
        if (n < 0)
          for (auto& p : sc[ds]) n = std::max(n, p.n);
        return std::pair<double, double>{n, C.I.find(task, model, ds, "scratch", 0, false, n)->test};
      };
      std::stable_sort(dss.begin(), dss.end(), [&](auto& a, auto& b) { return rank_acc(a).second > rank_acc(b).second; });
      if (rank_n < 0)
        sec.blocks.push_back(note("The scratch sweeps share no n: each dataset is ranked at its own largest n."));
      const auto ns = distinct_n(g);
      std::vector<std::string> pre;
      for (auto& m : sorted_methods(distinct(g, [](auto& t) { return t.method; })))
        if (m != "scratch") pre.push_back(m);
      std::vector<std::string> hdr = {"dataset (easy → hard)", "scratch acc", "method"};
      for (double n : ns) hdr.push_back("U n=" + fn(n));
      std::vector<std::vector<std::string>> rows;
      // cells[n][method][dataset index]
      std::map<double, std::map<std::string, std::vector<std::pair<double, UCell>>>> cells;
      for (size_t di = 0; di < dss.size(); ++di) {
        const auto& ds = dss[di];
        auto [rn, ra] = rank_acc(ds);
        const std::string sa = fnum(ra) + " @ n=" + fn(rn);
        bool first = true;
        for (size_t k = 0; k < pre.size(); ++k) {
          std::vector<std::string> r = {first ? dataset_label(ds) : "", first ? sa : "", pre[k]};
          bool any = false;
          for (double n : ns) {
            UCell c = util_cell(sc[ds], n, C.I.find(task, model, ds, pre[k], 0, false, n));
            if (c.ok) cells[n][pre[k]].push_back({(double)di, c});
            any |= c.ok;
            r.push_back(ucell_str(c));
          }
          if (!any) continue;  // this method was not run on this dataset
          rows.push_back(r);
          first = false;
        }
        if (first) rows.push_back({dataset_label(ds), sa, "(scratch only)"});
      }
      sec.blocks.push_back(table(hdr, rows));
      if (dss.size() < 2) {
        sec.blocks.push_back(para("Only one dataset (" + dss[0] + ") in this study for " + where +
                                  ": no cross-dataset comparison is possible."));
        C.findings.push_back("Data complexity (" + where + "): only one dataset (" + dss[0] + ") was run, so the effect of data complexity is not measured.");
        continue;
      }
      std::vector<Panel> panels;
      for (double n : ns) {
        if (!cells.count(n)) continue;
        Panel P;
        P.title = "n = " + fn(n);
        P.xlabel = "dataset (easy → hard)";
        P.ylabel = "U(n)";
        P.zero_line = true;
        P.xmin = -0.5;
        P.xmax = dss.size() - 0.5;
        for (size_t di = 0; di < dss.size(); ++di) P.xtic_labels.push_back({dss[di], (double)di});
        bool ab = false, be = false;
        for (auto& m : pre) add_utility_series(P, m, method_color(m), 1, cells[n][m], &ab, &be);
        add_bound_legend(P, ab, be);
        panels.push_back(P);
      }
      if (!panels.empty()) {
        const int cols = std::min<int>(3, (int)panels.size());
        const int rws = ((int)panels.size() + cols - 1) / cols;
        C.plot(sec, "complexity-" + task + "-" + model, "Data complexity · " + model_label(model) + " · " + task, panels,
               cols, 460 * cols, 430 * rws + 40,
               "Utility across datasets ordered easy → hard (" + where + "), one panel per n.");
      }
      // findings: hardest vs easiest dataset at the smallest and the largest n
      const std::string easy = dss.front(), hard = dss.back();
      std::vector<std::string> sentences;
      for (double n : ns) {
        int higher = 0, lower = 0, cmp = 0;
        std::vector<std::string> ex;
        for (auto& m : pre) {
          const UCell *ce = nullptr, *ch = nullptr;
          for (auto& [x, c] : cells[n][m]) {
            if (x == 0) ce = &c;
            if (x == (double)(dss.size() - 1)) ch = &c;
          }
          if (!ce || !ch) continue;
          ++cmp;
          auto [le, he] = interval(ce->u);
          auto [lh, hh] = interval(ch->u);
          if (lh > he) ++higher;
          else if (hh < le) ++lower;
          ex.push_back(m + " " + ustr(ch->u) + " vs " + ustr(ce->u));
        }
        if (cmp > 0)
          sentences.push_back("Data complexity (" + where + ", n=" + fn(n) + "): utility is higher on the hardest dataset (" +
                              hard + ") than on the easiest (" + easy + ") for " + std::to_string(higher) + " of " +
                              std::to_string(cmp) + " methods, lower for " + std::to_string(lower) + " (" + join(ex, "; ") + ").");
      }
      // the smallest and the largest n where both datasets have utilities
      if (!sentences.empty()) C.findings.push_back(sentences.front());
      if (sentences.size() > 1) C.findings.push_back(sentences.back());
      if (sentences.empty())
        C.findings.push_back("Data complexity (" + where + "): no method has utilities on both the easiest (" + easy +
                             ") and the hardest (" + hard + ") dataset at the same n.");
    }
}

// ---------------------------------------------------------------- analysis 4: frozen layers

void frozen_analysis(Ctx& C, Section& sec) {
  auto fz = select(C.S, [](const TrainPt& t) { return !t.linear && t.freeze > 0; });
  if (fz.empty()) {
    sec.blocks.push_back(para("No frozen-layer points (freeze k > 0) in this study."));
    C.findings.push_back("Frozen layers: no points with frozen stages in this study.");
    return;
  }
  sec.blocks.push_back(para("Finetuning accuracy (test@best-valid mean ± half-range, (best-valid)) when stages 1..k of "
                            "the backbone are frozen; k = 0 finetunes everything (taken from the utility sweep at the "
                            "same n)."));
  std::set<std::tuple<std::string, std::string, std::string, double>> groups;
  for (auto* t : fz) groups.insert({t->task, t->model, t->dataset, t->n});
  for (auto& [task, model, ds, n] : groups) {
    auto g = select(C.S, [&, &task = task, &model = model, &ds = ds, n = n](const TrainPt& t) {
      return !t.linear && t.task == task && t.model == model && t.dataset == ds && t.n == n;
    });
    std::set<int> ks;
    for (auto* t : g) ks.insert(t->freeze);
    std::vector<std::string> methods;
    for (auto& m : sorted_methods(distinct(g, [](auto& t) { return t.method; }))) {
      bool has_frozen = false;
      for (auto* t : g) has_frozen |= t->method == m && t->freeze > 0;
      if (has_frozen) methods.push_back(m);
    }
    const std::string where = model_label(model) + ", dataset " + ds + ", " + task + ", n=" + fn(n);
    sec.blocks.push_back(heading(model_label(model) + " · dataset " + dataset_label(ds) + " · " + task + " · n = " + fn(n)));
    std::vector<std::string> hdr = {"method"};
    for (int k : ks) hdr.push_back("k=" + std::to_string(k));
    std::vector<std::vector<std::string>> rows;
    Panel P;
    P.title = "Accuracy vs frozen stages";
    P.xlabel = "frozen stages k (0 = finetune all)";
    P.ylabel = g.front()->metric;
    P.xmin = *ks.begin() - 0.3;
    P.xmax = *ks.rbegin() + 0.3;
    for (int k : ks) P.xtic_labels.push_back({std::to_string(k), (double)k});
    std::vector<std::string> lower, higher, same;
    int monotone = 0;
    for (auto& m : methods) {
      std::vector<std::string> r = {m};
      std::vector<std::pair<double, const Agg*>> v;
      for (int k : ks) {
        const Agg* a = C.I.find(task, model, ds, m, k, false, n);
        v.push_back({(double)k, a});
        r.push_back(a ? acc_cell(*a) : "—");
      }
      rows.push_back(r);
      P.series.push_back(acc_series(m, method_color(m), 1, 7, v));
      std::vector<std::pair<int, double>> have;
      for (auto& [k, a] : v)
        if (a) have.push_back({(int)k, a->test});
      if (have.size() < 2) continue;
      bool mono = true;
      for (size_t i = 1; i < have.size(); ++i) mono &= have[i].second <= have[i - 1].second;
      monotone += mono;
      const std::string txt = m + " " + fnum(have.front().second) + " at k=" + std::to_string(have.front().first) + " → " +
                              fnum(have.back().second) + " at k=" + std::to_string(have.back().first);
      (have.back().second < have.front().second ? lower : have.back().second > have.front().second ? higher : same).push_back(txt);
    }
    sec.blocks.push_back(table(hdr, rows));
    C.plot(sec, "frozen-" + task + "-" + model + "-" + ds + "-n" + fn(n), "", {P}, 1, 760, 520,
           "Frozen layers: accuracy vs k for " + where + ".");
    const size_t tot = lower.size() + higher.size() + same.size();
    if (tot > 0) {
      std::string s = "Freezing more stages lowers accuracy for " +
                      (lower.size() == tot ? "all " + std::to_string(tot) : std::to_string(lower.size()) + " of " + std::to_string(tot)) +
                      " methods (" + where + ")" + (lower.empty() ? "." : ": " + join(lower, "; ") + ".");
      if (!higher.empty()) s += " It raises accuracy for " + join(higher, "; ") + ".";
      if (!same.empty()) s += " Unchanged: " + join(same, "; ") + ".";
      s += " Accuracy never increases with k for " + std::to_string(monotone) + " of " + std::to_string(tot) + ".";
      C.findings.push_back(s);
    }
  }
}

// ---------------------------------------------------------------- analysis 5: linear evaluation

void linear_analysis(Ctx& C, Section& sec) {
  auto lp = select(C.S, [](const TrainPt& t) { return t.linear; });
  if (lp.empty()) {
    sec.blocks.push_back(para("No linear-evaluation points (linear = true) in this study."));
    C.findings.push_back("Linear evaluation: no points in this study.");
    return;
  }
  sec.blocks.push_back(para("A linear classifier on frozen pooled features; \"scratch\" means randomly initialised, "
                            "untrained features. Cells: test@best-valid mean ± half-range, (best-valid)."));
  for (auto& task : distinct(lp, [](auto& t) { return t.task; }))
    for (auto& model : sorted_models(distinct(lp, [](auto& t) { return t.model; })))
      for (auto& ds : distinct(lp, [](auto& t) { return t.dataset; })) {
        auto g = select(C.S, [&](const TrainPt& t) { return t.linear && t.task == task && t.model == model && t.dataset == ds; });
        if (g.empty()) continue;
        const auto ns = distinct_n(g);
        const auto methods = sorted_methods(distinct(g, [](auto& t) { return t.method; }));
        const std::string where = model_label(model) + ", dataset " + ds + ", " + task;
        sec.blocks.push_back(heading(model_label(model) + " · dataset " + dataset_label(ds) + " · " + task));
        std::vector<std::string> hdr = {"n"};
        for (auto& m : methods) hdr.push_back(m == "scratch" ? "scratch (random features)" : m);
        std::vector<std::vector<std::string>> rows;
        for (double n : ns) {
          std::vector<std::string> r = {fn(n)};
          for (auto& m : methods) {
            const Agg* a = C.I.find(task, model, ds, m, 0, true, n);
            r.push_back(a ? acc_cell(*a) : "—");
          }
          rows.push_back(r);
        }
        sec.blocks.push_back(table(hdr, rows));
        Panel P;
        P.title = "Linear evaluation";
        P.xlabel = "labelled training images n (log scale)";
        P.ylabel = g.front()->metric;
        P.logx = true;
        P.xtics = ns;
        for (auto& m : methods) {
          std::vector<std::pair<double, const Agg*>> v;
          for (double n : ns) v.push_back({n, C.I.find(task, model, ds, m, 0, true, n)});
          P.series.push_back(acc_series(m == "scratch" ? "scratch (random features)" : m, method_color(m),
                                        m == "scratch" ? 2 : 1, 7, v));
        }
        C.plot(sec, "linear-" + task + "-" + model + "-" + ds, "", {P}, 1, 760, 520,
               "Linear evaluation on frozen features: accuracy vs n for " + where + ".");
        // findings
        const double nmax = ns.back();
        std::string best;
        double best_acc = -kInf;
        for (auto& m : methods)
          if (const Agg* a = C.I.find(task, model, ds, m, 0, true, nmax); a && a->test > best_acc) {
            best_acc = a->test;
            best = m;
          }
        std::string s = "Linear evaluation (" + where + "): at n=" + fn(nmax) + " the best features are " + best + " (" +
                        fnum(best_acc) + ")";
        if (const Agg* sa = C.I.find(task, model, ds, "scratch", 0, true, nmax); sa && best != "scratch")
          s += " vs random-init features " + fnum(sa->test);
        s += ".";
        std::vector<std::string> beat_all, not_all;
        for (auto& m : methods) {
          if (m == "scratch") continue;
          int cmp = 0, wins = 0;
          for (double n : ns) {
            const Agg *a = C.I.find(task, model, ds, m, 0, true, n), *sa = C.I.find(task, model, ds, "scratch", 0, true, n);
            if (!a || !sa) continue;
            ++cmp;
            wins += a->test > sa->test;
          }
          if (cmp == 0) continue;
          (wins == cmp ? beat_all : not_all).push_back(m + " (" + std::to_string(wins) + "/" + std::to_string(cmp) + ")");
        }
        if (!beat_all.empty() || !not_all.empty())
          s += " Pretrained features beat random-init features at every n for " + std::to_string(beat_all.size()) + " of " +
               std::to_string(beat_all.size() + not_all.size()) + " methods" +
               (not_all.empty() ? "." : "; not always for " + join(not_all, ", ") + " (n won / compared).");
        C.findings.push_back(s);
      }
}

// ---------------------------------------------------------------- the other sections

void data_section(Ctx& C, Section& sec) {
  if (C.S.render.empty()) {
    sec.blocks.push_back(para("No render points in this study (data rendered elsewhere, or none finished)."));
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto& r : C.S.render)
    rows.push_back({dataset_label(r.dataset), r.res ? std::to_string(r.res) + " px" : "—",
                    r.count ? std::to_string(r.count) : "—", fnum(r.seconds, 1), r.path.empty() ? "—" : r.path});
  sec.blocks.push_back(table({"dataset", "resolution", "images", "render s", "file"}, rows));
  for (auto& r : C.S.render) {
    const std::string cap = "Contact sheet: dataset " + dataset_label(r.dataset) + (r.res ? ", " + std::to_string(r.res) + " px" : "");
    if (r.sheet.empty()) {
      sec.blocks.push_back(note(cap + ": no sheet recorded."));
      continue;
    }
    const bool abs = fs::path(r.sheet).is_absolute();
    const std::string file = abs ? r.sheet : C.S.dir + "/" + r.sheet;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      sec.blocks.push_back(note(cap + ": " + r.sheet + " is missing."));
      continue;
    }
    Block b;
    b.kind = Block::Kind::Image;
    b.text = cap;
    b.href = abs ? r.sheet : "../" + r.sheet;
    b.file = file;
    sec.blocks.push_back(b);
  }
}

void pretrain_section(Ctx& C, Section& sec) {
  if (C.S.pretrain.empty()) {
    sec.blocks.push_back(para("No pretraining points in this study."));
    return;
  }
  std::vector<const PretrainPt*> v;
  for (auto& p : C.S.pretrain) v.push_back(&p);
  std::stable_sort(v.begin(), v.end(), [](auto* a, auto* b) {
    return std::tie(a->dataset, a->model) != std::tie(b->dataset, b->model) ? std::tie(a->dataset, a->model) < std::tie(b->dataset, b->model)
           : a->method != b->method                                          ? method_less(a->method, b->method)
                                                                             : a->seed < b->seed;
  });
  std::vector<std::vector<std::string>> rows;
  for (auto* p : v)
    rows.push_back({p->dataset, model_label(p->model), p->method, std::to_string(p->seed), fnum(p->final_loss, 4),
                    fnum(p->pretext_acc), hms(p->wall_s), fnum(p->img_per_s, 1)});
  sec.blocks.push_back(table({"dataset", "model", "method", "seed", "final loss", "pretext acc", "wall", "img/s"}, rows));
  std::set<std::pair<std::string, std::string>> groups;
  for (auto* p : v)
    if (!p->loss_curve.empty()) groups.insert({p->dataset, p->model});
  for (auto& [ds, model] : groups) {
    std::vector<Panel> panels;
    std::vector<std::string> methods;
    for (auto* p : v)
      if (p->dataset == ds && p->model == model && !p->loss_curve.empty() &&
          std::find(methods.begin(), methods.end(), p->method) == methods.end())
        methods.push_back(p->method);
    for (auto& m : methods) {
      Panel P;
      P.title = m;
      P.xlabel = "epoch";
      P.ylabel = "pretext loss";
      size_t epochs = 0;
      for (auto* p : v)
        if (p->dataset == ds && p->model == model && p->method == m) epochs = std::max(epochs, p->loss_curve.size());
      if (epochs <= 12)
        for (size_t e = 1; e <= epochs; ++e) P.xtics.push_back((double)e);
      for (auto* p : v) {
        if (p->dataset != ds || p->model != model || p->method != m || p->loss_curve.empty()) continue;
        Series s;
        int same_seed = 0;
        for (auto* q : v)
          same_seed += q->dataset == ds && q->model == model && q->method == m && q->seed == p->seed && !q->loss_curve.empty();
        s.title = "seed " + std::to_string(p->seed) + (same_seed > 1 ? " (" + p->id + ")" : "");
        s.color = method_color(m);
        s.dash = 1 + (int)(P.series.size() % 4);
        s.point_type = p->loss_curve.size() > 30 ? 0 : 7;
        for (size_t i = 0; i < p->loss_curve.size(); ++i) s.xy.push_back({(double)(i + 1), p->loss_curve[i]});
        P.series.push_back(s);
      }
      panels.push_back(P);
    }
    const int cols = std::min<int>(4, (int)panels.size());
    const int rws = ((int)panels.size() + cols - 1) / cols;
    C.plot(sec, "pretrain-" + model + "-" + ds, "Pretext loss · " + model_label(model) + " · dataset " + ds, panels, cols,
           380 * cols, 340 * rws + 40, "Pretraining loss curves (" + model_label(model) + ", dataset " + ds + "), one panel per method.");
  }
}

void timing_section(Ctx& C, Section& sec) {
  const auto& meta = C.S.meta;
  if (meta.contains("phases") && meta["phases"].is_object() && !meta["phases"].empty()) {
    double total = 0;
    for (auto& [k, v] : meta["phases"].items())
      if (v.is_number()) total += v.get<double>();
    std::vector<std::vector<std::string>> rows;
    for (auto& [k, v] : meta["phases"].items()) {
      if (v.is_number()) {
        const double s = v.get<double>();
        rows.push_back({k, fnum(s, 1), hms(s), total > 0 ? fnum(100 * s / total, 1) + " %" : "—"});
      } else {
        rows.push_back({k, json_text(v), "", ""});
      }
    }
    rows.push_back({"total", fnum(total, 1), hms(total), "100 %"});
    sec.blocks.push_back(table({"phase", "seconds", "h:mm:ss", "share"}, rows));
  } else {
    sec.blocks.push_back(para("study.json records no phase times."));
  }
  double r = 0, p = 0, t = 0;
  for (auto& x : C.S.render)
    if (std::isfinite(x.seconds)) r += x.seconds;
  for (auto& x : C.S.pretrain)
    if (std::isfinite(x.wall_s)) p += x.wall_s;
  for (auto& x : C.S.train)
    if (std::isfinite(x.wall_s)) t += x.wall_s;
  sec.blocks.push_back(para("Sum of per-point wall times from the result files: render " + hms(r) + " (" +
                            std::to_string(C.S.render.size()) + " points), pretrain " + hms(p) + " (" +
                            std::to_string(C.S.pretrain.size()) + "), train " + hms(t) + " (" +
                            std::to_string(C.S.train.size()) + ")."));
}

void host_section(Ctx& C, Section& sec) {
  std::vector<std::vector<std::string>> rows;
  const auto& meta = C.S.meta;
  for (const char* k : {"name", "preset", "started", "finished"})
    if (meta.contains(k)) rows.push_back({k, json_text(meta[k])});
  if (meta.contains("host") && meta["host"].is_object())
    for (auto& [k, v] : meta["host"].items()) rows.push_back({"host." + k, json_text(v)});
  std::set<std::string> descs;
  for (auto& t : C.S.train)
    if (!t.model_desc.empty()) descs.insert(t.model_desc);
  for (auto& d : descs) rows.push_back({"model as trained", d});
  rows.push_back({"plots", C.plotter.available() ? C.plotter.version() : C.plotter.why_not()});
  rows.push_back({"report generated", now_iso()});
  sec.blocks.push_back(table({"field", "value"}, rows));
  if (!C.S.has_meta) sec.blocks.push_back(note("study.json is missing: host and timing information are unknown."));
}

void points_section(Ctx& C, Section& sec) {
  std::vector<std::vector<std::string>> rows;
  for (auto& r : C.S.render)
    rows.push_back({r.id, "render", r.dataset, "", "", "", "", "", "", "", "", "", hms(r.seconds)});
  for (auto& p : C.S.pretrain)
    rows.push_back({p.id, "pretrain", p.dataset, "", model_label(p.model), p.method, "", "", "", std::to_string(p.seed),
                    "loss " + fnum(p.final_loss, 4), "", hms(p.wall_s)});
  std::vector<const TrainPt*> tr;
  for (auto& t : C.S.train) tr.push_back(&t);
  std::stable_sort(tr.begin(), tr.end(), [](auto* a, auto* b) {
    auto ka = std::make_tuple(a->task, a->model, a->dataset, a->linear, a->freeze, method_rank(a->method), a->method, a->n, a->seed);
    auto kb = std::make_tuple(b->task, b->model, b->dataset, b->linear, b->freeze, method_rank(b->method), b->method, b->n, b->seed);
    return ka < kb;
  });
  for (auto* t : tr)
    rows.push_back({t->id, "train", t->dataset, t->task, model_label(t->model), t->method, fn(t->n), std::to_string(t->freeze),
                    t->linear ? "yes" : "no", std::to_string(t->seed), t->metric + " " + fnum(t->test), fnum(t->valid),
                    hms(t->wall_s)});
  sec.blocks.push_back(para(std::to_string(rows.size()) + " finished points" +
                            (C.S.unfinished ? ", " + std::to_string(C.S.unfinished) + " point directories without a result yet" : "") +
                            (C.S.skipped ? ", " + std::to_string(C.S.skipped) + " skipped as malformed (see Warnings)" : "") + "."));
  sec.blocks.push_back(table({"id", "kind", "dataset", "task", "model", "method", "n", "k", "linear", "seed",
                              "test@best-valid", "best-valid", "wall"},
                             rows));
}

}  // namespace

// ---------------------------------------------------------------- entry points

ReportSummary make_report(const std::string& study_dir_in, const ReportOptions& opt) {
  std::string study_dir = study_dir_in;
  while (study_dir.size() > 1 && study_dir.back() == '/') study_dir.pop_back();
  if (!fs::is_directory(study_dir)) throw std::runtime_error("report: " + study_dir + " is not a directory");
  ReportSummary out;
  const std::string rdir = study_dir + "/report";
  fs::create_directories(rdir);
  Study S = load_study(study_dir);
  Index I(S);
  report::Plotter plotter(opt.gnuplot, rdir);
  Ctx C{S, I, plotter, rdir, out, {}, {}, {}, false};
  C.findings.topic = "Caveats";
  out.points_read = (int)(S.train.size() + S.pretrain.size() + S.render.size());
  out.points_skipped = S.skipped;

  report::Document doc;
  const std::string name = S.meta.contains("name") ? json_text(S.meta["name"]) : fs::path(study_dir).filename().string();
  doc.title = "selfstudy report: " + name;
  std::string intro = "Study \"" + name + "\"";
  if (S.meta.contains("preset")) intro += " (preset " + json_text(S.meta["preset"]) + ")";
  if (S.meta.contains("started")) intro += ", started " + json_text(S.meta["started"]);
  intro += ". " + std::to_string(out.points_read) + " finished points read";
  if (S.skipped) intro += ", " + std::to_string(S.skipped) + " malformed result files skipped (see Warnings)";
  if (S.unfinished) intro += ", " + std::to_string(S.unfinished) + " points not finished";
  intro += ".";
  doc.intro.push_back(intro);
  doc.intro.push_back("A reproduction of Newell & Deng, \"How Useful is Self-Supervised Pretraining for Visual Tasks?\" "
                      "(CVPR 2020). Numbers are the task's primary metric on the test split at the best-validation "
                      "epoch (test@best-valid), mean ± half-range ((max − min)/2) over seeds; utility is computed on the means.");

  Section findings{"findings", "What the numbers show", {}};
  Section study{"study", "Study and conventions", {}};
  Section s1{"utility", "1. Utility U(n) per method", {}};
  Section s2{"model-size", "2. Model size", {}};
  Section s3{"data-complexity", "3. Data complexity", {}};
  Section s4{"frozen-layers", "4. Frozen layers", {}};
  Section s5{"linear-eval", "5. Linear evaluation", {}};
  Section s6{"dense", "6. Dense tasks", {}};
  Section sdata{"data", "Data and contact sheets", {}};
  Section spre{"pretraining", "Pretraining", {}};
  Section stime{"timing", "Wall time per phase", {}};
  Section shost{"host", "Host and software", {}};
  Section scfg{"config", "Exact configuration (study.toml)", {}};
  Section spts{"points", "All points", {}};
  Section swarn{"warnings", "Warnings", {}};

  // study + conventions
  if (S.meta.contains("notes") && S.meta["notes"].is_array() && !S.meta["notes"].empty()) {
    study.blocks.push_back(para("Departures from the paper's protocol recorded by the study runner:"));
    std::vector<std::string> items;
    for (auto& n : S.meta["notes"]) items.push_back(json_text(n));
    study.blocks.push_back(list(items));
  } else {
    study.blocks.push_back(para("study.json records no notes on departures from the paper's protocol."));
  }
  {
    std::set<std::string> ds, models, methods, tasks, seeds;
    for (auto& t : S.train) {
      ds.insert(t.dataset);
      models.insert(model_label(t.model));
      methods.insert(t.method);
      tasks.insert(t.task);
      seeds.insert(std::to_string(t.seed));
    }
    auto J = [](const std::set<std::string>& s) { return s.empty() ? std::string("—") : join({s.begin(), s.end()}, ", "); };
    study.blocks.push_back(table({"", "in this study"},
                                 {{"datasets", J(ds)},
                                  {"models", J(models)},
                                  {"methods", J(methods)},
                                  {"tasks", J(tasks)},
                                  {"seeds", J(seeds)},
                                  {"points", std::to_string(S.render.size()) + " render, " + std::to_string(S.pretrain.size()) +
                                                 " pretrain, " + std::to_string(S.train.size()) + " train"}}));
  }
  study.blocks.push_back(list({
      "Metric: the primary metric of each task (classify: class_accuracy; segment: pixel_accuracy; depth: delta_1.25) on "
      "the test split at the epoch with the best validation score; the best validation score is shown in parentheses.",
      "Seeds: mean ± half-range (max − min)/2 over seeds; a single seed shows no ±.",
      "Utility U(n) = n̂/n − 1 (REFERENCE §1), n̂ by linear interpolation of the mean scratch curve in log n; values "
      "outside the scratch sweep are bounds (\"> x (beyond sweep)\", \"< x (below sweep)\").",
      "Plots: one colour per method (scratch black, vae blue, rotation orange, cmc green, amdim red), log-n x axes.",
  }));

  C.findings.topic = "Utility";
  utility_analysis(C, s1, false);
  C.findings.topic = "Model size";
  model_size_analysis(C, s2);
  C.findings.topic = "Data complexity";
  complexity_analysis(C, s3);
  C.findings.topic = "Frozen layers";
  frozen_analysis(C, s4);
  C.findings.topic = "Linear evaluation";
  linear_analysis(C, s5);
  C.findings.topic = "Dense tasks";
  utility_analysis(C, s6, true);
  C.findings.topic = "Caveats";
  data_section(C, sdata);
  pretrain_section(C, spre);
  timing_section(C, stime);
  host_section(C, shost);
  if (S.has_toml) scfg.blocks.push_back(text_block(Block::Kind::Code, S.toml));
  else scfg.blocks.push_back(note("study.toml is missing from the study directory."));
  points_section(C, spts);

  // findings
  {
    std::set<std::tuple<std::string, std::string, std::string>> g;
    for (auto& t : S.train)
      if (t.method == "scratch" && !t.linear && t.freeze == 0) g.insert({t.task, t.model, t.dataset});
    for (auto& [task, model, ds] : g) {
      auto c = scratch_curve(I, task, model, ds);
      std::sort(c.begin(), c.end(), [](auto& a, auto& b) { return a.n < b.n; });
      for (size_t i = 1; i < c.size(); ++i)
        if (c[i].acc < c[i - 1].acc) {
          C.findings.push_back("Caution: the scratch curve of " + model_label(model) + ", dataset " + ds + ", " + task +
                               " is not monotone in n (" + fnum(c[i - 1].acc) + " at n=" + fn(c[i - 1].n) + " → " +
                               fnum(c[i].acc) + " at n=" + fn(c[i].n) + "); utilities use its running maximum.");
          break;
        }
    }
  }
  if (S.meta.contains("notes") && S.meta["notes"].is_array() && !S.meta["notes"].empty())
    C.findings.push_back("These numbers come from a reduced protocol (see Study and conventions); they are not the paper's scale.");
  if (S.train.empty()) findings.blocks.push_back(para("No finished training points: nothing to conclude yet."));
  findings.blocks.push_back(para("Sentences generated from the tables below; bounds are never treated as exact values."));
  for (const char* topic : {"Utility", "Model size", "Data complexity", "Frozen layers", "Linear evaluation", "Dense tasks", "Caveats"}) {
    std::vector<std::string> items;
    for (auto& [t, x] : C.findings.items)
      if (t == topic) items.push_back(x);
    if (items.empty()) continue;
    findings.blocks.push_back(heading(topic));
    findings.blocks.push_back(list(items));
  }
  for (auto& [t, x] : C.findings.items) out.findings.push_back(x);

  // warnings
  std::vector<std::string> warn = S.warnings;
  if (S.unfinished) warn.push_back(std::to_string(S.unfinished) + " point directories have no result.json yet (unfinished).");
  if (!plotter.available()) warn.push_back("No plots: " + plotter.why_not() + ".");
  for (auto& w : out.warnings) warn.push_back(w);
  out.warnings = warn;
  if (warn.empty()) swarn.blocks.push_back(para("None."));
  else swarn.blocks.push_back(list(warn));

  doc.sections = {findings, study, s1, s2, s3, s4, s5, s6, sdata, spre, stime, shost, scfg, spts, swarn};

  // remove figures of earlier runs that this run did not redraw
  std::error_code ec;
  for (auto& e : fs::directory_iterator(rdir, ec)) {
    const std::string fname = e.path().filename().string();
    if (fname.rfind("fig-", 0) == 0 && e.path().extension() == ".png" && !C.plot_names.count(fname)) fs::remove(e.path(), ec);
  }
  out.gnuplot = plotter.available() && !out.plots.empty();
  out.markdown_path = rdir + "/report.md";
  out.html_path = rdir + "/report.html";
  io::write_file_atomically(out.markdown_path, report::to_markdown(doc));
  io::write_file_atomically(out.html_path, report::to_html(doc, opt.embed_images));
  return out;
}

void write_report(const std::string& study_dir) { make_report(study_dir); }

void add_report_command(CLI::App& app) {
  struct Args {
    std::string dir;
    bool open = false, no_plots = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "report", "Write <study-dir>/report/report.html (self-contained) and report.md: utility, model size, data "
                "complexity, frozen layers, linear evaluation and dense-task analyses with plots, from the study's "
                "finished points (safe to run while a study is still going)");
  cmd->add_option("study-dir", a->dir, "study directory (holds study.toml, study.json, points/)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--open-html", a->open, "open report.html in the default browser (xdg-open) when done");
  cmd->add_flag("--no-plots", a->no_plots, "skip gnuplot (tables only)");
  cmd->callback([a] {
    ReportOptions o;
    if (a->no_plots) o.gnuplot.clear();
    ReportSummary s = make_report(a->dir, o);
    std::printf("report: %d points read, %d skipped, %zu plots\n  %s\n  %s\n", s.points_read, s.points_skipped,
                s.plots.size(), s.html_path.c_str(), s.markdown_path.c_str());
    for (auto& w : s.warnings) std::printf("  warning: %s\n", w.c_str());
    if (a->open) {
      std::string q = "'";
      for (char c : s.html_path) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      q += "'";
      const std::string cmdline = "command -v xdg-open >/dev/null 2>&1 && xdg-open " + q + " >/dev/null 2>&1 &";
      if (std::system(cmdline.c_str()) != 0) std::printf("  (could not open a browser; open the file above)\n");
    }
  });
}

}  // namespace ss::app
