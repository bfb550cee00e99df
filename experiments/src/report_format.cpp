// The report's number and label formatting; model / method order and colours.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "report_internal.h"

namespace ss::app::report_detail {

std::string f(const char* fmt, double v) {
  char b[64];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}
std::string fnum(double v, int prec) {
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
namespace {
bool is_bits(const std::string& d) {
  return d.size() == 4 && std::all_of(d.begin(), d.end(), [](char c) { return c == '0' || c == '1'; });
}
}  // namespace
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
std::vector<std::string> sorted_models(std::vector<std::string> m) {
  std::sort(m.begin(), m.end(), model_less);
  return m;
}
std::vector<std::string> sorted_methods(std::vector<std::string> m) {
  std::sort(m.begin(), m.end(), method_less);
  return m;
}

}  // namespace ss::app::report_detail
