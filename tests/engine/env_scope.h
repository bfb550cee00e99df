// Sets an environment variable for a scope (the SS_* switches that are read per call),
// restoring the old value, or its absence, on exit.
#pragma once
#include <cstdlib>
#include <string>

namespace ss::test {
class EnvScope {
 public:
  EnvScope(const char* name, const char* value) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v, had_ = true;
    setenv(name, value, 1);
  }
  ~EnvScope() { had_ ? (void)setenv(name_, old_.c_str(), 1) : (void)unsetenv(name_); }
  EnvScope(const EnvScope&) = delete;
  EnvScope& operator=(const EnvScope&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};
}  // namespace ss::test
