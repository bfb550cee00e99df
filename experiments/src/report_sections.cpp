// The report's descriptive sections: data and contact sheets, pretraining, wall time per
// phase, host and software, and the table of all points.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "report_internal.h"

namespace ss::app::report_detail {

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

}  // namespace ss::app::report_detail
