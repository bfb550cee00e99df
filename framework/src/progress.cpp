#include "ss/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ss {

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  const int64_t t = int64_t(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", (long long)(t / 3600),
                  (long long)(t / 60 % 60), (long long)(t % 60));
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", (long long)(t / 60), (long long)(t % 60));
  return buf;
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total) {
  const char* ci = std::getenv("CI");
  tty_ = ::isatty(STDERR_FILENO) && !(ci && std::strcmp(ci, "true") == 0);
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  if (!finished_ && drawn_) std::fputc('\n', stderr);
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Progress::rate() const {
  const double e = elapsed_s();
  return e > 0 ? double(done_ - base_) / e : 0.0;
}

void Progress::update(int64_t done, const std::string& extra) {
  done_ = done;
  if (!extra.empty()) extra_ = extra;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since < (tty_ ? 0.1 : 10.0) && done_ < total_) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish(const std::string& extra) {
  if (finished_) return;
  if (!extra.empty()) extra_ = extra;
  finished_ = true;
  draw(true);
}

void Progress::note(const std::string& line) {
  if (drawn_) std::fputc('\n', stderr);
  drawn_ = false;
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

void Progress::draw(bool final) {
  const double r = rate();
  const double eta = r > 0 ? double(total_ - done_) / r : -1;
  const double frac = total_ > 0 ? double(done_) / double(total_) : 1.0;
  char line[512];
  if (tty_) {
    const int width = 24, filled = int(frac * width + 0.5);
    std::string bar(size_t(std::max(0, std::min(width, filled))), '#');
    bar.resize(width, '.');
    std::snprintf(line, sizeof line, "\r%s [%s] %3.0f%% %lld/%lld %.1f %s/s ETA %s %s\033[K",
                  label_.c_str(), bar.c_str(), frac * 100, (long long)done_, (long long)total_, r,
                  unit_.c_str(), final ? format_duration(elapsed_s()).c_str()
                                       : format_duration(eta).c_str(),
                  extra_.c_str());
    std::fputs(line, stderr);
    if (final) std::fputc('\n', stderr);
    drawn_ = !final;
  } else {
    std::snprintf(line, sizeof line, "%s: %lld/%lld (%.0f%%) %.1f %s/s %s %s %s\n",
                  label_.c_str(), (long long)done_, (long long)total_, frac * 100, r,
                  unit_.c_str(), final ? "took" : "ETA",
                  final ? format_duration(elapsed_s()).c_str() : format_duration(eta).c_str(),
                  extra_.c_str());
    std::fputs(line, stderr);
  }
  std::fflush(stderr);
}

}  // namespace ss
