// `selfstudy report <study-dir>`: reads a study directory (study.toml, study.json,
// points/<id>/result.json) and writes <study-dir>/report/report.md and report.html with
// the analyses of issue 7 — utility U(n) per method, model size, data complexity, frozen
// layers, linear evaluation, dense tasks — each as a table and a gnuplot PNG, plus
// data-driven findings, the exact config, host info, wall time per phase, the data's
// contact sheets and a table of all points.
//
// Conventions (stated in the report too): numbers are the primary metric on the test split
// at the best-validation epoch ("test@best-valid"; best-valid is shown beside it); several
// seeds are averaged and shown as mean ± half-range (max − min)/2; utility is computed on
// the means (REFERENCE §1, ss/exp/utility.h: log-n interpolation of the scratch curve,
// out-of-range values are bounds) and its spread is the utility of the lowest and highest
// seed's finetuned accuracy against the mean scratch curve.
//
// A malformed result.json never stops the report: it is skipped and listed under Warnings.
// Without gnuplot the report is still written, with a note where each plot would be.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <utility>
#include <vector>

namespace ss::app {

struct ReportOptions {
  std::string gnuplot = "gnuplot";  // executable (PATH lookup); "" disables plots
  bool embed_images = true;         // HTML: base64-embed PNGs (self-contained file)
};

struct ReportSummary {
  std::string markdown_path, html_path;
  int points_read = 0;     // result.json files used
  int points_skipped = 0;  // malformed result.json files skipped (each one a warning)
  std::vector<std::string> warnings;
  std::vector<std::string> plots;  // PNG paths written
  std::vector<std::string> findings;
  bool gnuplot = false;  // plots were drawn
};

// Writes <study_dir>/report/{report.md, report.html, fig-*.png} atomically.
ReportSummary make_report(const std::string& study_dir, const ReportOptions& options = {});
void write_report(const std::string& study_dir);

// `selfstudy report <study-dir> [--open-html] [--no-plots]`
void add_report_command(CLI::App& app);

// ---- building blocks (used by the report; exposed for tests) ----
namespace report {

struct Block {
  enum class Kind { Para, Heading, Table, Image, Code, List, Note };
  Kind kind = Kind::Para;
  std::string text;  // para, heading, code, note; image caption
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> items;  // list
  std::string href;                // image: link relative to the report directory
  std::string file;                // image: file on disk (embedded in HTML when readable)
};

struct Section {
  std::string id, title;
  std::vector<Block> blocks;
};

struct Document {
  std::string title;
  std::vector<std::string> intro;
  std::vector<Section> sections;
};

std::string to_markdown(const Document& doc);
std::string to_html(const Document& doc, bool embed_images = true);
std::string base64(const std::string& bytes);
std::string html_escape(const std::string& s);

// One line (or marker set) on a plot. `y_err` (same length as xy, or empty) draws error bars.
struct Series {
  std::string title;  // "" = no legend entry
  std::string color = "#000000";
  std::vector<std::pair<double, double>> xy;
  std::vector<double> y_err;
  int point_type = 7;  // gnuplot pt: 7 filled circle, 9 triangle up, 11 triangle down
  bool lines = true;
  int dash = 1;
  double line_width = 2;
};

struct Panel {
  std::string title, xlabel, ylabel;
  bool logx = false;
  std::vector<double> xtics;                                   // numeric tics (log-n axes)
  std::vector<std::pair<std::string, double>> xtic_labels;     // categorical axes
  double xmin = 0, xmax = 0;                                   // used when xmin < xmax
  bool zero_line = false;                                      // dashed y = 0
  std::string key = "below center horizontal";  // gnuplot `set key` position; "off" hides the legend
  std::vector<Series> series;
};

class Plotter {
 public:
  Plotter(std::string gnuplot, std::string out_dir);
  bool available() const { return !terminal_.empty(); }
  const std::string& why_not() const { return why_not_; }
  const std::string& version() const { return version_; }
  // Writes out_dir/<name> (PNG) atomically; panels are laid out in `cols` columns.
  // Returns false (and sets *err) if gnuplot failed.
  bool plot(const std::string& name, const std::string& title, const std::vector<Panel>& panels,
            int cols, int width, int height, std::string* err);
  std::string script(const std::string& output, const std::string& title,
                     const std::vector<Panel>& panels, int cols, int width, int height) const;

 private:
  std::string exe_, out_dir_, terminal_, version_, why_not_;
};

}  // namespace report
}  // namespace ss::app
