// Analyses 2 and 3: model size and data complexity.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "report_internal.h"

namespace ss::app::report_detail {

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

}  // namespace ss::app::report_detail
