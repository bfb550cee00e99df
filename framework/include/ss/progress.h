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
  double elapsed_s() const;
  double rate() const;  // units per second

 private:
  void draw(bool final);
  std::string label_, unit_, extra_;
  int64_t total_, done_ = 0;
  bool tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);

}  // namespace ss
