#include "console/progress_bar.hpp"

#include <unistd.h>

#include <cmath>

namespace volt::host {

namespace {

std::string format_seconds(double s) {
  int total = static_cast<int>(s);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02d:%02d", total / 60, total % 60);
  return buf;
}

std::string format_metrics(const ProgressBar::Metrics& metrics) {
  std::string out;
  for (const auto& [name, value] : metrics) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3f", value);
    out += ", " + name + "=" + buf;
  }
  return out;
}

}  // namespace

ProgressBar::ProgressBar(bool enabled, Kind kind, std::FILE* out)
    : enabled_(enabled), kind_(kind), tty_(isatty(fileno(out)) != 0), out_(out) {}

void ProgressBar::start(const std::string& description, int64_t total) {
  description_ = description;
  total_ = total;
  last_drawn_ = -1;
  last_line_percent_ = -1;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

void ProgressBar::update(int64_t done, const std::function<Metrics()>& metrics) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    // Terminal: redraw at most 10 times a second.
    if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  } else {
    // Plain output (logs, CI): the main bar every 25%, evaluation only when finished.
    if (kind_ == Kind::Evaluation) return;
    int64_t quarter = total_ > 0 ? done * 4 / total_ : 0;
    if (quarter == last_line_percent_ || quarter == 0 || quarter >= 4) return;
    last_line_percent_ = quarter;
  }
  last_draw_ = now;
  draw(done, metrics(), false);
}

void ProgressBar::finish(const std::function<Metrics()>& metrics) {
  if (!enabled_ || total_ == 0) return;
  draw(total_, metrics(), true);
}

void ProgressBar::draw(int64_t done, const Metrics& metrics, bool final) {
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  double remaining = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  int percent = total_ > 0 ? static_cast<int>(100 * done / total_) : 100;
  std::string timing = "[" + format_seconds(elapsed) + "<" + format_seconds(remaining) + ", ";
  char rate_buf[32];
  std::snprintf(rate_buf, sizeof(rate_buf), "%.2fit/s", rate);
  timing += rate_buf + format_metrics(metrics) + "]";
  if (tty_) {
    const int width = 20;
    int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, ' ');
    std::fprintf(out_, "\r\033[K%s: %3d%%|%s| %lld/%lld %s", description_.c_str(), percent,
                 bar.c_str(), static_cast<long long>(done), static_cast<long long>(total_),
                 timing.c_str());
    if (final) {
      if (kind_ == Kind::Evaluation) std::fputs("\r\033[K", out_);
      else std::fputc('\n', out_);
    }
  } else {
    std::fprintf(out_, "%s: %3d%% %lld/%lld %s\n", description_.c_str(), percent,
                 static_cast<long long>(done), static_cast<long long>(total_), timing.c_str());
  }
  std::fflush(out_);
}

}  // namespace volt::host
