// Error type and checking macros shared by every layer. Errors carry file:line
// and the failing expression so a CLI can print one clear line and exit 1.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace ss {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
inline void append(std::ostringstream&) {}
template <class T, class... Rest>
void append(std::ostringstream& os, const T& v, const Rest&... rest) {
  os << v;
  append(os, rest...);
}
template <class... Args>
[[noreturn]] void fail(const char* file, int line, const char* expr, const Args&... args) {
  std::ostringstream os;
  append(os, args...);
  std::string msg = os.str();
  if (msg.empty()) msg = std::string("check failed: ") + expr;
  std::string f = file;
  auto slash = f.find_last_of('/');
  if (slash != std::string::npos) f = f.substr(slash + 1);
  throw Error(msg + " [" + f + ":" + std::to_string(line) + "]");
}
}  // namespace detail

}  // namespace ss

#define SS_CHECK(cond, ...)                                              \
  do {                                                                   \
    if (!(cond)) ::ss::detail::fail(__FILE__, __LINE__, #cond, ##__VA_ARGS__); \
  } while (0)

#define SS_FAIL(...) ::ss::detail::fail(__FILE__, __LINE__, "", __VA_ARGS__)
