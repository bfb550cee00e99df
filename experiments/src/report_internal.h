// Internal to the report (experiments/src/report*.cpp): the study's points as read from disk,
// their aggregation over seeds, utility cells, the shared formatting helpers, and the context
// the analyses write sections, findings and figures into. Not part of the public API.
//
//   report_format.cpp                  number / label formatting, model and method order, colours
//   report_study.cpp                   reading the study directory; aggregation over seeds
//   report_utility.cpp                 utility cells and the plot series / trends built from them
//   report_analysis_utility.cpp        analyses 1 and 6: utility U(n) (classification, dense)
//   report_analysis_model_data.cpp     analyses 2 and 3: model size, data complexity
//   report_analysis_frozen_linear.cpp  analyses 4 and 5: frozen layers, linear evaluation
//   report_sections.cpp                data, pretraining, timing, host and all-points sections
//   report.cpp                         block builders, figure placement, make_report, the CLI
#pragma once
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ss/exp/report.h"
#include "ss/exp/utility.h"

namespace ss::app::report_detail {

namespace fs = std::filesystem;
using nlohmann::json;
using report::Block;
using report::Panel;
using report::Section;
using report::Series;

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- formatting (report_format.cpp)
std::string f(const char* fmt, double v);
std::string fnum(double v, int prec = 3);  // "—" when not finite
std::string fn(double n);                  // sample counts: "1000", else %g
std::string hms(double s);
std::string join(const std::vector<std::string>& v, const std::string& sep);
std::string now_iso();
std::string safe_name(const std::string& s);  // a file-name-safe copy
template <class J>
std::string json_text(const J& j) {
  if (j.is_null()) return "—";
  if (j.is_string()) return j.template get<std::string>();
  if (j.is_number_float()) return f("%.6g", j.template get<double>());
  return j.dump();
}

std::string model_label(const std::string& m);
int method_rank(const std::string& m);
bool model_less(const std::string& a, const std::string& b);
bool method_less(const std::string& a, const std::string& b);
std::string method_color(const std::string& m);
std::string dataset_factors(const std::string& d);
std::string dataset_label(const std::string& d);
bool is_dense(const std::string& task);
std::string default_metric(const std::string& task);
std::vector<std::string> sorted_models(std::vector<std::string> m);
std::vector<std::string> sorted_methods(std::vector<std::string> m);

// ---- the study's points (report_study.cpp)
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

// Malformed result.json files are skipped and listed in Study::warnings.
Study load_study(const std::string& dir);

// ---- aggregation over seeds (report_study.cpp)
struct Agg {
  double test = kNaN, test_hr = 0, valid = kNaN, valid_hr = 0, test_min = kNaN, test_max = kNaN;
  int seeds = 0;
};

std::string acc_cell(const Agg& a);  // "mean ± half-range (valid)"

// (task, model, dataset, method, freeze, linear, n)
using Key = std::tuple<std::string, std::string, std::string, std::string, int, bool, double>;

struct Index {
  std::map<Key, std::vector<const TrainPt*>> groups;
  std::map<Key, Agg> aggs;
  explicit Index(const Study& S);
  const Agg* find(const std::string& task, const std::string& model, const std::string& ds, const std::string& method,
                  int freeze, bool linear, double n) const;
};

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
std::vector<double> distinct_n(const std::vector<const TrainPt*>& pts);

// ---- utility cells, series and trends (report_utility.cpp)
struct UCell {
  bool ok = false;
  Utility u, lo, hi;  // on the mean; for the lowest / highest seed
  int seeds = 0;
};

std::string f2(double v);
std::string ustr(const Utility& u);
std::string compact(const Utility& u);
std::string ucell_str(const UCell& c);
std::pair<double, double> interval(const Utility& u);
int utility_sign(const Utility& u);
UCell util_cell(const std::vector<CurvePoint>& scratch, double n, const Agg* a);
std::vector<CurvePoint> scratch_curve(const Index& I, const std::string& task, const std::string& model,
                                      const std::string& ds, int freeze = 0, bool linear = false);

void add_utility_series(Panel& P, const std::string& title, const std::string& color, int dash,
                        const std::vector<std::pair<double, UCell>>& cells, bool* any_above, bool* any_below);
void add_bound_legend(Panel& P, bool above, bool below);
Series acc_series(const std::string& title, const std::string& color, int dash, int pt,
                  const std::vector<std::pair<double, const Agg*>>& pts);

// Describe how a method's utility moves from its smallest to its largest n.
struct Trend {
  std::string method, text;
  int dir = 0;  // -1 falls, +1 rises, 0 flat, 2 undetermined
};
Trend utility_trend(const std::string& method, const std::vector<std::pair<double, UCell>>& cells);

// ---- report context (report.cpp)
Block text_block(Block::Kind k, const std::string& s);
Block para(const std::string& s);
Block note(const std::string& s);
Block heading(const std::string& s);
Block table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows);
Block list(std::vector<std::string> items);

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

  // Draws fig-<base>.png into the section, or a note saying why it is missing.
  void plot(Section& sec, const std::string& base, const std::string& title, const std::vector<Panel>& panels, int cols,
            int w, int h, const std::string& caption);
};

// ---- the analyses and other sections, each filling one Section
void utility_analysis(Ctx& C, Section& sec, bool dense);  // report_analysis_utility.cpp
void model_size_analysis(Ctx& C, Section& sec);           // report_analysis_model_data.cpp
void complexity_analysis(Ctx& C, Section& sec);
void frozen_analysis(Ctx& C, Section& sec);  // report_analysis_frozen_linear.cpp
void linear_analysis(Ctx& C, Section& sec);
void data_section(Ctx& C, Section& sec);  // report_sections.cpp
void pretrain_section(Ctx& C, Section& sec);
void timing_section(Ctx& C, Section& sec);
void host_section(Ctx& C, Section& sec);
void points_section(Ctx& C, Section& sec);

}  // namespace ss::app::report_detail
