// Lightning's Timer without the hooks: the "DD:HH:MM:SS" duration syntax, Python's
// str(timedelta) for the message, and per-stage elapsed time with a restored offset.
#pragma once

#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace volt::callbacks {

// Lightning: re.fullmatch(r"(\d+):(\d\d):(\d\d):(\d\d)", duration.strip()) -> seconds.
inline std::optional<double> parse_timer_duration(const std::string& text) {
  size_t b = text.find_first_not_of(" \t\n\r\f\v");
  size_t e = text.find_last_not_of(" \t\n\r\f\v");
  if (b == std::string::npos) return std::nullopt;
  std::string s = text.substr(b, e - b + 1);
  size_t first = s.find(':');
  if (first == std::string::npos || first == 0 || s.size() != first + 9) return std::nullopt;
  for (size_t i = 0; i < first; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  for (size_t i = first; i < s.size(); i += 3) {
    if (s[i] != ':' || !std::isdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isdigit(static_cast<unsigned char>(s[i + 2])))
      return std::nullopt;
  }
  auto two = [&](size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); };
  double days = std::stod(s.substr(0, first));
  return days * 86400.0 + two(first + 1) * 3600.0 + two(first + 4) * 60.0 + two(first + 7);
}

// str(timedelta(seconds=n)) for whole seconds: "0:00:05", "1 day, 2:03:04", "3 days, 0:00:00".
inline std::string python_timedelta_str(int64_t seconds) {
  int64_t days = seconds / 86400;
  int64_t rest = seconds % 86400;
  if (rest < 0) {  // Python normalises negative durations to a negative day count
    rest += 86400;
    days -= 1;
  }
  char hms[32];
  std::snprintf(hms, sizeof(hms), "%lld:%02lld:%02lld", static_cast<long long>(rest / 3600),
                static_cast<long long>(rest % 3600 / 60), static_cast<long long>(rest % 60));
  if (days == 0) return hms;
  return std::to_string(days) + (days == 1 || days == -1 ? " day, " : " days, ") + hms;
}

// Lightning's RunningStage values, in its order.
enum class TimerStage { Train = 0, SanityCheck = 1, Validate = 2, Test = 3, Predict = 4 };
inline constexpr std::array<const char*, 5> kTimerStageNames = {"train", "sanity_check", "validate",
                                                                "test", "predict"};

class StageClock {
 public:
  void start(TimerStage s, double now) {
    start_[idx(s)] = now;
    end_[idx(s)].reset();
  }
  void end(TimerStage s, double now) { end_[idx(s)] = now; }
  // Lightning's time_elapsed(stage): the offset (restored state) counts for training only.
  double elapsed(TimerStage s, double now) const {
    double offset = s == TimerStage::Train ? offset_ : 0.0;
    if (!start_[idx(s)]) return offset;
    if (!end_[idx(s)]) return now - *start_[idx(s)] + offset;
    return *end_[idx(s)] - *start_[idx(s)] + offset;
  }
  void set_offset(double seconds) { offset_ = seconds; }

 private:
  static size_t idx(TimerStage s) { return static_cast<size_t>(s); }
  std::array<std::optional<double>, 5> start_{};
  std::array<std::optional<double>, 5> end_{};
  double offset_ = 0.0;
};

}  // namespace volt::callbacks
