// Plots for the report: a gnuplot script per figure (data inline as datablocks), run as a
// subprocess, output written to a temporary file and renamed into place.
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "ss/exp/report.h"
#include "ss/io/atomic_file.h"

namespace ss::app::report {
namespace {

std::string shell_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) {
    if (c == '\'') o += "'\\''";
    else o += c;
  }
  return o + "'";
}

// A gnuplot double-quoted string literal.
std::string gq(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o + "\"";
}

std::string capture(const std::string& cmd, int* status) {
  std::string out;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    *status = -1;
    return out;
  }
  char buf[4096];
  size_t k;
  while ((k = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
  *status = ::pclose(p);
  return out;
}

constexpr double kInfY = 1e300;

std::string num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

}  // namespace

Plotter::Plotter(std::string gnuplot, std::string out_dir) : exe_(std::move(gnuplot)), out_dir_(std::move(out_dir)) {
  if (exe_.empty()) {
    why_not_ = "plots disabled";
    return;
  }
  int st = 0;
  std::string v = capture(shell_quote(exe_) + " --version 2>/dev/null", &st);
  if (st != 0 || v.find("gnuplot") == std::string::npos) {
    why_not_ = "gnuplot not found (install Debian's gnuplot-nox to get plots)";
    return;
  }
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  version_ = v;
  std::string terms = capture(shell_quote(exe_) + " -e \"set terminal\" 2>&1", &st);
  if (terms.find("pngcairo") != std::string::npos) terminal_ = "pngcairo";
  else if (terms.find(" png ") != std::string::npos || terms.find("png") != std::string::npos) terminal_ = "png";
  else why_not_ = "this gnuplot has neither the pngcairo nor the png terminal";
}

std::string Plotter::script(const std::string& output, const std::string& title, const std::vector<Panel>& panels,
                            int cols, int width, int height) const {
  std::ostringstream s;
  s << "set encoding utf8\n";
  if (terminal_ == "pngcairo")
    s << "set terminal pngcairo size " << width << "," << height << " noenhanced font \"Sans,10\" linewidth 1\n";
  else
    s << "set terminal png size " << width << "," << height << " noenhanced\n";
  s << "set output " << gq(output) << "\n";
  // Datablocks first (they may not be defined inside multiplot panels on every version).
  for (size_t p = 0; p < panels.size(); ++p)
    for (size_t i = 0; i < panels[p].series.size(); ++i) {
      auto& sr = panels[p].series[i];
      if (sr.xy.empty()) continue;
      s << "$d" << p << "_" << i << " << EOD\n";
      for (size_t k = 0; k < sr.xy.size(); ++k) {
        s << num(sr.xy[k].first) << " " << num(sr.xy[k].second);
        if (!sr.y_err.empty()) s << " " << num(k < sr.y_err.size() ? sr.y_err[k] : 0.0);
        s << "\n";
      }
      s << "EOD\n";
    }
  cols = std::max(1, cols);
  const int rows = (int(panels.size()) + cols - 1) / cols;
  const bool multi = panels.size() > 1 || !title.empty();
  if (multi) s << "set multiplot layout " << rows << "," << cols << " title " << gq(title) << " font \",12\"\n";
  for (size_t p = 0; p < panels.size(); ++p) {
    auto& P = panels[p];
    s << "reset\nset encoding utf8\n";
    s << "set title " << gq(P.title) << "\nset xlabel " << gq(P.xlabel) << "\nset ylabel " << gq(P.ylabel) << "\n";
    s << "set grid lc rgb \"#dddddd\"\nset border lc rgb \"#555555\"\n";
    if (P.key == "off") s << "unset key\n";
    else s << "set key " << P.key << " nobox samplen 2 spacing 1.1 width 1 font \",9\"\n";
    if (P.logx) s << "set logscale x\n";
    if (!P.xtic_labels.empty()) {
      s << "set xtics (";
      for (size_t k = 0; k < P.xtic_labels.size(); ++k)
        s << (k ? ", " : "") << gq(P.xtic_labels[k].first) << " " << num(P.xtic_labels[k].second);
      s << ")\n";
    } else if (!P.xtics.empty()) {
      s << "set xtics (";
      for (size_t k = 0; k < P.xtics.size(); ++k) s << (k ? ", " : "") << gq(num(P.xtics[k])) << " " << num(P.xtics[k]);
      s << ")\n";
    }
    if (P.xmin < P.xmax) s << "set xrange [" << num(P.xmin) << ":" << num(P.xmax) << "]\n";
    else if (P.logx && !P.xtics.empty()) {
      double lo = P.xtics.front(), hi = P.xtics.front();
      for (double x : P.xtics) lo = std::min(lo, x), hi = std::max(hi, x);
      s << "set xrange [" << num(lo / 1.3) << ":" << num(hi * 1.3) << "]\n";
    }
    s << "set offsets 0, 0, graph 0.05, graph 0.05\n";
    {  // a degenerate y range (one value) would be blown up to +-1e-16 or so: widen it
      double lo = kInfY, hi = -kInfY;
      for (auto& sr : P.series)
        for (size_t k = 0; k < sr.xy.size(); ++k) {
          const double e = k < sr.y_err.size() ? sr.y_err[k] : 0.0;
          lo = std::min(lo, sr.xy[k].second - e);
          hi = std::max(hi, sr.xy[k].second + e);
        }
      if (P.zero_line && lo <= hi) lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);
      if (lo <= hi && hi - lo < 1e-6) {
        const double pad = std::max(0.05, std::fabs(hi) * 0.1);
        s << "set yrange [" << num(lo - pad) << ":" << num(hi + pad) << "]\n";
      }
    }
    std::vector<std::string> items;
    if (P.zero_line) items.push_back("0 with lines lc rgb \"#888888\" dt 2 lw 1 notitle");
    for (size_t i = 0; i < P.series.size(); ++i) {
      auto& sr = P.series[i];
      std::ostringstream it;
      const std::string style = " lc rgb " + gq(sr.color) + " pt " + std::to_string(sr.point_type) + " ps 1.3 lw " +
                                num(sr.line_width) + " dt " + std::to_string(sr.dash);
      const std::string t = sr.title.empty() ? " notitle" : " title " + gq(sr.title);
      if (sr.xy.empty()) {
        if (sr.title.empty()) continue;
        it << "NaN with " << (sr.lines ? "linespoints" : "points") << style << t;  // legend entry only
      } else if (!sr.y_err.empty()) {
        it << "$d" << p << "_" << i << " using 1:2:3 with " << (sr.lines ? "yerrorlines" : "yerrorbars") << style << t;
      } else {
        it << "$d" << p << "_" << i << " using 1:2 with "
           << (sr.lines ? (sr.point_type <= 0 ? "lines" : "linespoints") : "points") << style << t;
      }
      items.push_back(it.str());
    }
    bool any_data = false;
    for (auto& sr : P.series) any_data |= !sr.xy.empty();
    if (!any_data) {
      s << "set label 1 \"no data\" at graph 0.5, graph 0.5 center\nset xrange [0:1]\nset yrange [0:1]\nunset logscale x\n";
      items = {"NaN notitle"};
    }
    s << "plot ";
    for (size_t k = 0; k < items.size(); ++k) s << (k ? ", \\\n     " : "") << items[k];
    s << "\n";
  }
  if (multi) s << "unset multiplot\n";
  s << "set output\n";
  return s.str();
}

bool Plotter::plot(const std::string& name, const std::string& title, const std::vector<Panel>& panels, int cols,
                   int width, int height, std::string* err) {
  if (!available()) {
    if (err) *err = why_not_;
    return false;
  }
  const std::string path = out_dir_ + "/" + name;
  const std::string gp = path + ".gp.tmp";
  const std::string log = path + ".log.tmp";
  bool ok = true;
  std::string message;
  try {
    io::write_atomically(path, [&](const std::string& tmp) {
      io::write_file_atomically(gp, script(tmp, title, panels, cols, width, height));
      const int st = std::system((shell_quote(exe_) + " " + shell_quote(gp) + " > " + shell_quote(log) + " 2>&1").c_str());
      std::error_code ec;
      if (st != 0 || !std::filesystem::exists(tmp, ec) || std::filesystem::file_size(tmp, ec) == 0) {
        std::string out;
        try {
          out = io::read_file(log);
        } catch (...) {
        }
        if (out.size() > 600) out = out.substr(out.size() - 600);
        throw std::runtime_error("gnuplot failed for " + name + ": " + out);
      }
    });
  } catch (const std::exception& e) {
    ok = false;
    message = e.what();
  }
  std::remove(gp.c_str());
  std::remove(log.c_str());
  if (!ok && err) *err = message;
  return ok;
}

}  // namespace ss::app::report
