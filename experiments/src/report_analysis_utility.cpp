// Analyses 1 and 6: utility U(n) per method, for classification and for the dense tasks.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "report_internal.h"

namespace ss::app::report_detail {

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

}  // namespace ss::app::report_detail
