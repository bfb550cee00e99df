#include "ss/exp/config.h"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "ss/kernels/error.h"

namespace ss::app {
namespace {

void flatten(const toml::table& t, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (auto&& [k, v] : t) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (auto* sub = v.as_table()) {
      flatten(*sub, key, out);
      continue;
    }
    std::ostringstream os;
    if (auto* s = v.as_string())
      os << toml::value<std::string>(s->get());  // quoted TOML literal
    else
      v.visit([&](auto& n) { os << n; });
    out[key] = os.str();
  }
}

toml::table parse_value_table(const std::string& literal, const std::string& what) {
  try {
    return toml::parse("v = " + literal);
  } catch (const toml::parse_error& e) {
    SS_FAIL(what, ": cannot parse value '", literal, "': ", e.description());
  }
}

}  // namespace

Config Config::from_string(const std::string& text, const std::string& origin) {
  Config c;
  c.origin_ = origin;
  try {
    toml::table t = toml::parse(text, origin);
    flatten(t, "", c.values_);
  } catch (const toml::parse_error& e) {
    SS_FAIL(origin, ":", e.source().begin.line, ": ", e.description());
  }
  return c;
}

Config Config::from_file(const std::string& path) {
  std::ifstream in(path);
  SS_CHECK(in, path, ": cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_string(ss.str(), path);
}

Config Config::load(const std::string& path, const std::vector<std::string>& sets) {
  Config c = path.empty() ? Config() : from_file(path);
  for (auto& s : sets) c.set(s);
  return c;
}

void Config::set_string(const std::string& key, const std::string& value) {
  if (value.empty()) return;
  std::ostringstream os;
  os << toml::value<std::string>(value);
  values_[key] = os.str();
}

void Config::set(const std::string& a) {
  auto eq = a.find('=');
  SS_CHECK(eq != std::string::npos && eq > 0, "--set '", a, "': expected key=value");
  std::string key = a.substr(0, eq), val = a.substr(eq + 1);
  // Bare words become strings so `--set model.arch=resnet50` works without quotes.
  try {
    (void)toml::parse("v = " + val);  // only whether it parses
  } catch (const toml::parse_error&) {
    val = "\"" + val + "\"";
  }
  parse_value_table(val, "--set " + key);
  values_[key] = val;
}

bool Config::has(const std::string& key) const { return values_.count(key) > 0; }

const std::string* Config::find(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

#define SS_CFG_GET(T, conv, what)                                                   \
  const std::string* lit = find(key);                                               \
  SS_CHECK(lit, origin_, ": missing required key '", key, "'");                     \
  toml::table t = parse_value_table(*lit, origin_ + ": '" + key + "'");             \
  auto v = t["v"].conv;                                                             \
  SS_CHECK(v.has_value(), origin_, ": '", key, "' = ", *lit, " is not ", what);     \
  return T(*v);

std::string Config::str(const std::string& key) const { SS_CFG_GET(std::string, value<std::string>(), "a string") }
int64_t Config::integer(const std::string& key) const { SS_CFG_GET(int64_t, value<int64_t>(), "an integer") }
double Config::number(const std::string& key) const { SS_CFG_GET(double, value<double>(), "a number") }

std::string Config::str(const std::string& key, const std::string& def) const {
  return has(key) ? str(key) : def;
}
int64_t Config::integer(const std::string& key, int64_t def) const {
  return has(key) ? integer(key) : def;
}
double Config::number(const std::string& key, double def) const {
  return has(key) ? number(key) : def;
}
bool Config::boolean(const std::string& key, bool def) const {
  if (!has(key)) return def;
  SS_CFG_GET(bool, value<bool>(), "true or false")
}

template <class T>
static std::vector<T> get_array(const std::map<std::string, std::string>& values,
                                const std::string& origin, const std::string& key,
                                const std::vector<T>& def, const char* what) {
  auto it = values.find(key);
  if (it == values.end()) return def;
  toml::table t = parse_value_table(it->second, origin + ": '" + key + "'");
  std::vector<T> out;
  if (auto* arr = t["v"].as_array()) {
    for (auto&& e : *arr) {
      auto v = e.value<T>();
      SS_CHECK(v.has_value(), origin, ": '", key, "' must be an array of ", what);
      out.push_back(*v);
    }
  } else {
    auto v = t["v"].value<T>();  // a scalar is a one-element list
    SS_CHECK(v.has_value(), origin, ": '", key, "' must be an array of ", what);
    out.push_back(*v);
  }
  return out;
}

std::vector<int64_t> Config::integers(const std::string& key, const std::vector<int64_t>& def) const {
  return get_array<int64_t>(values_, origin_, key, def, "integers");
}
std::vector<std::string> Config::strings(const std::string& key, const std::vector<std::string>& def) const {
  return get_array<std::string>(values_, origin_, key, def, "strings");
}
std::vector<double> Config::numbers(const std::string& key, const std::vector<double>& def) const {
  return get_array<double>(values_, origin_, key, def, "numbers");
}

std::string Config::to_toml() const {
  // Rebuild nested tables from dotted keys.
  toml::table root;
  for (auto& [k, lit] : values_) {
    toml::table v = parse_value_table(lit, k);
    toml::table* cur = &root;
    size_t start = 0, dot;
    while ((dot = k.find('.', start)) != std::string::npos) {
      const std::string part = k.substr(start, dot - start);
      if (!cur->contains(part)) cur->insert(part, toml::table{});
      cur = (*cur)[part].as_table();
      start = dot + 1;
    }
    const std::string leaf = k.substr(start);
    v.get("v")->visit([&](auto& n) { cur->insert_or_assign(leaf, n); });
  }
  std::ostringstream os;
  os << root;
  return os.str();
}

std::string Config::to_json() const {
  toml::table t = toml::parse(to_toml());
  std::ostringstream os;
  os << toml::json_formatter{t};
  return os.str();
}

}  // namespace ss::app
