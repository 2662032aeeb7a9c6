// Training progress on the console: a redrawn bar on a terminal, plain periodic lines
// otherwise (logs, CI). Redraws are throttled so the bar costs nothing per step.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace volt::host {

class ProgressBar {
 public:
  using Metrics = std::vector<std::pair<std::string, double>>;

  // Main: the training bar, redrawn on a terminal and printed every 25% otherwise.
  // Evaluation: validation/test bars, redrawn on a terminal and printed once at the end
  // otherwise; on a terminal the finished evaluation line is erased, as Lightning does.
  enum class Kind { Main, Evaluation };

  ProgressBar(bool enabled, Kind kind, std::FILE* out = stdout);

  // Starts a phase ("Epoch 3", "Validation", "Sanity Checking", "Testing").
  void start(const std::string& description, int64_t total);
  // After batch `done` (1-based) of the phase; `metrics` is only called when drawing.
  void update(int64_t done, const std::function<Metrics()>& metrics);
  // Ends the phase with a final redraw.
  void finish(const std::function<Metrics()>& metrics);

 private:
  void draw(int64_t done, const Metrics& metrics, bool final);

  bool enabled_;
  Kind kind_;
  bool tty_;
  std::FILE* out_;
  std::string description_;
  int64_t total_ = 0;
  int64_t last_drawn_ = -1;
  int64_t last_line_percent_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace volt::host
