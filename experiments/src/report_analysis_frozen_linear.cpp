// Analyses 4 and 5: frozen layers and linear evaluation.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "report_internal.h"

namespace ss::app::report_detail {

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

}  // namespace ss::app::report_detail
