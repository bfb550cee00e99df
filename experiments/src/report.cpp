// `selfstudy report`: a study directory -> report.md + report.html (+ fig-*.png). This file
// assembles the document; the analyses and sections live in the other report_*.cpp files
// (see report_internal.h).
#include "ss/exp/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "report_internal.h"
#include "ss/io/atomic_file.h"

namespace ss::app {
namespace report_detail {

Block text_block(Block::Kind k, const std::string& s) {
  Block b;
  b.kind = k;
  b.text = s;
  return b;
}
Block para(const std::string& s) { return text_block(Block::Kind::Para, s); }
Block note(const std::string& s) { return text_block(Block::Kind::Note, s); }
Block heading(const std::string& s) { return text_block(Block::Kind::Heading, s); }

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

void Ctx::plot(Section& sec, const std::string& base, const std::string& title, const std::vector<Panel>& panels, int cols,
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

}  // namespace report_detail

using namespace report_detail;

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
