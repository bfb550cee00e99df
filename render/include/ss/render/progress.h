// Progress reporting on stderr: a redrawn bar with img/s and ETA on a terminal, plain
// periodic log lines otherwise (stderr not a TTY, or CI=true).
#pragma once
#include <cstdint>
#include <string>

namespace ss::render {

class Progress {
 public:
  explicit Progress(std::string label, double log_every_s = 10.0);
  // done: images in the file so far; now: rendered by this run, in `seconds`.
  void update(int64_t done, int64_t total, int64_t now, double seconds);
  void note(const std::string& line);  // a message on its own line
  void finish();
  static bool interactive();  // stderr is a TTY and CI is not "true"

 private:
  std::string label_;
  bool tty_;
  double every_, last_ = -1e9;
  bool drawn_ = false;
};

std::string format_duration(double seconds);  // "1:02:03" / "2:03"

}  // namespace ss::render
