// A progress bar with rate and ETA on a TTY; periodic plain log lines otherwise (pipes,
// CI=true), so logs stay readable.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace ss {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "img");
  ~Progress();
  void update(int64_t done, const std::string& extra = "");  // absolute count
  void add(int64_t n, const std::string& extra = "") { update(done_ + n, extra); }
  void finish(const std::string& extra = "");
  // n units were done before this run (a resumed job): shown in the count, left out of the
  // rate and ETA.
  void resumed_from(int64_t n) { base_ = n; }
  // A message on its own line; ends a bar drawn on the terminal first.
  void note(const std::string& line);
  double elapsed_s() const;
  double rate() const;  // units per second done by this run

 private:
  void draw(bool final);
  std::string label_, unit_, extra_;
  int64_t total_, done_ = 0, base_ = 0;
  bool tty_, finished_ = false, drawn_ = false;  // drawn_: a bar line is open on the TTY
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);

}  // namespace ss
