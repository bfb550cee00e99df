// Run configuration: a TOML file (experiments/configs/*.toml) plus `--set key=value`
// overrides with dotted keys ("train.epochs=30"). Getters name the key and file in errors.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ss::app {

class Config {
 public:
  Config() = default;
  static Config from_file(const std::string& path);
  static Config from_string(const std::string& toml, const std::string& origin = "<string>");
  // A file ("" = empty config) followed by `--set` assignments, in order.
  static Config load(const std::string& path, const std::vector<std::string>& sets);
  // "a.b=3", "a.c=\"x\"" or "a.c=x" (bare strings allowed), "a.d=[1,2]", "a.e=true".
  void set(const std::string& assignment);
  // Sets `key` to the string `value` (TOML-escaped); an empty value leaves the key alone,
  // so optional CLI flags can be applied unconditionally.
  void set_string(const std::string& key, const std::string& value);

  bool has(const std::string& key) const;
  std::string str(const std::string& key, const std::string& def) const;
  std::string str(const std::string& key) const;
  int64_t integer(const std::string& key, int64_t def) const;
  int64_t integer(const std::string& key) const;
  double number(const std::string& key, double def) const;
  double number(const std::string& key) const;
  bool boolean(const std::string& key, bool def) const;
  std::vector<int64_t> integers(const std::string& key, const std::vector<int64_t>& def) const;
  std::vector<std::string> strings(const std::string& key, const std::vector<std::string>& def) const;
  std::vector<double> numbers(const std::string& key, const std::vector<double>& def) const;

  std::string origin() const { return origin_; }
  std::string to_toml() const;  // the effective config, for the run directory and reports
  std::string to_json() const;

 private:
  // Values stored as TOML literal text per dotted key; parsed on access.
  std::map<std::string, std::string> values_;
  std::string origin_ = "<defaults>";
  const std::string* find(const std::string& key) const;
};

}  // namespace ss::app
