// Environment switches (SS_* A/B and opt-in settings) read by the kernels and the
// framework: a variable's value ("" when unset), and whether it is set to something other
// than "" or "0".
#pragma once
#include <cstdlib>
#include <string>

namespace ss {
inline std::string env_value(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
inline bool env_flag(const char* name) {
  const std::string v = env_value(name);
  return !v.empty() && v != "0";
}
}  // namespace ss
