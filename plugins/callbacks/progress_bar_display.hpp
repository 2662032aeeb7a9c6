// Drawing for the `progress_bar` callback: a bar redrawn in place on a terminal, plain periodic
// lines otherwise (logs, CI). Redraws are throttled so that the bar costs nothing per step.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace volt::callbacks {

class ProgressDisplay {
 public:
  using Metrics = std::vector<std::pair<std::string, double>>;

  // Main: the training bar, printed every 25% when the output is not a terminal.
  // Evaluation: validation/test/predict bars, printed once at the end when the output is not a
  // terminal; on a terminal the finished line is erased (as Lightning does) unless `leave`.
  enum class Kind { Main, Evaluation };

  ProgressDisplay(Kind kind, bool leave, std::FILE* out = stdout)
      : kind_(kind), leave_(leave), tty_(isatty(fileno(out)) != 0), out_(out) {}

  // Starts a phase ("Epoch 3", "Validation", "Sanity Checking", "Testing"); total <= 0: unknown.
  void start(const std::string& description, int64_t total) {
    description_ = description;
    total_ = total;
    active_ = true;
    last_quarter_ = -1;
    start_ = last_draw_ = std::chrono::steady_clock::now();
  }

  // After batch `done` (1-based); `metrics` is only called when drawing.
  void update(int64_t done, const std::function<Metrics()>& metrics) {
    if (!active_) return;
    auto now = std::chrono::steady_clock::now();
    if (tty_) {
      if (now - last_draw_ < std::chrono::milliseconds(100)) return;  // at most 10 redraws/s
    } else {
      if (kind_ == Kind::Evaluation || total_ <= 0) return;
      int64_t quarter = done * 4 / total_;
      if (quarter == last_quarter_ || quarter == 0 || quarter >= 4) return;
      last_quarter_ = quarter;
    }
    last_draw_ = now;
    draw(done, metrics(), false);
  }

  // Ends the phase with a final redraw; `done` is the number of batches that ran.
  void finish(int64_t done, const std::function<Metrics()>& metrics) {
    if (!active_) return;
    active_ = false;
    if (done > 0 || total_ > 0) draw(done, metrics(), true);
  }

 private:
  static std::string format_seconds(double s) {
    int total = static_cast<int>(s);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%02d:%02d", total / 60, total % 60);
    return buf;
  }

  void draw(int64_t done, const Metrics& metrics, bool final) {
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    double remaining = rate > 0 && total_ > done ? static_cast<double>(total_ - done) / rate : 0.0;
    int percent = total_ > 0 ? static_cast<int>(100 * done / total_) : 100;
    char rate_buf[32];
    std::snprintf(rate_buf, sizeof(rate_buf), "%.2fit/s", rate);
    std::string timing = "[" + format_seconds(elapsed) + "<" + format_seconds(remaining) + ", " +
                         rate_buf;
    for (const auto& [name, value] : metrics) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.3f", value);
      timing += ", " + name + "=" + buf;
    }
    timing += "]";
    long long shown_total = total_ > 0 ? total_ : done;
    if (tty_) {
      const int width = 20;
      int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(width, ' ');
      std::fprintf(out_, "\r\033[K%s: %3d%%|%s| %lld/%lld %s", description_.c_str(), percent,
                   bar.c_str(), static_cast<long long>(done), shown_total, timing.c_str());
      if (final) {
        if (kind_ == Kind::Evaluation && !leave_) std::fputs("\r\033[K", out_);
        else std::fputc('\n', out_);
      }
    } else {
      std::fprintf(out_, "%s: %3d%% %lld/%lld %s\n", description_.c_str(), percent,
                   static_cast<long long>(done), shown_total, timing.c_str());
    }
    std::fflush(out_);
  }

  Kind kind_;
  bool leave_;
  bool tty_;
  std::FILE* out_;
  bool active_ = false;
  std::string description_;
  int64_t total_ = 0;
  int64_t last_quarter_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace volt::callbacks
