#include "ss/render/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ss::render {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  long t = std::lround(s);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

bool Progress::interactive() {
  const char* ci = std::getenv("CI");
  if (ci && std::strcmp(ci, "true") == 0) return false;
  return isatty(STDERR_FILENO) == 1;
}

Progress::Progress(std::string label, double every) : label_(std::move(label)), tty_(interactive()), every_(every) {}

void Progress::update(int64_t done, int64_t total, int64_t now, double secs) {
  double rate = secs > 0 ? double(now) / secs : 0.0;
  double eta = rate > 0 ? double(total - done) / rate : NAN;
  double frac = total > 0 ? double(done) / double(total) : 1.0;
  if (tty_) {
    constexpr int kWidth = 28;
    int fill = int(frac * kWidth + 0.5);
    char bar[kWidth + 1];
    for (int i = 0; i < kWidth; ++i) bar[i] = i < fill ? '#' : '.';
    bar[kWidth] = 0;
    std::fprintf(stderr, "\r%s [%s] %lld/%lld %3.0f%% %7.0f img/s ETA %s   ", label_.c_str(), bar,
                 (long long)done, (long long)total, 100 * frac, rate, format_duration(eta).c_str());
    std::fflush(stderr);
    drawn_ = true;
  } else if (secs - last_ >= every_ || done >= total) {
    std::fprintf(stderr, "%s: %lld/%lld (%.0f%%) %.0f img/s ETA %s\n", label_.c_str(), (long long)done,
                 (long long)total, 100 * frac, rate, format_duration(eta).c_str());
    last_ = secs;
  }
}

void Progress::note(const std::string& line) {
  if (drawn_) std::fputc('\n', stderr);
  drawn_ = false;
  std::fprintf(stderr, "%s\n", line.c_str());
}

void Progress::finish() {
  if (drawn_) std::fputc('\n', stderr);
  drawn_ = false;
}

}  // namespace ss::render
