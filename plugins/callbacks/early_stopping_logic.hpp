// Lightning's EarlyStopping decision (callbacks/early_stopping.py, _evaluate_stopping_criteria)
// as a pure function over a small state, with Lightning's reason texts. No host, no tensors:
// the plugin (early_stopping.hpp) feeds it the monitored value of each check.
#pragma once

#include "python_format.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace volt::callbacks {

// Lightning's EarlyStoppingReason.
enum class StopReason { NotStopped, StoppingThreshold, DivergenceThreshold, PatienceExhausted,
                        NonFiniteMetric };

inline const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::NotStopped: return "not_stopped";
    case StopReason::StoppingThreshold: return "stopping_threshold";
    case StopReason::DivergenceThreshold: return "divergence_threshold";
    case StopReason::PatienceExhausted: return "patience_exhausted";
    case StopReason::NonFiniteMetric: return "non_finite_metric";
  }
  return "?";
}

struct EarlyStoppingConfig {
  std::string monitor;
  double min_delta = 0.0;  // as given; the sign is applied by mode (Lightning's __init__)
  int64_t patience = 3;
  bool mode_max = false;   // "max": larger is better
  bool check_finite = true;
  // Kept as given (int or float) so messages print them as Python does: 100 vs 0.5.
  std::optional<PyNumber> stopping_threshold;
  std::optional<PyNumber> divergence_threshold;
};

struct EarlyStoppingState {
  int64_t wait_count = 0;
  int64_t stopped_epoch = 0;
  double best_score = std::numeric_limits<double>::infinity();
  int64_t patience = 3;
  StopReason stopping_reason = StopReason::NotStopped;
  std::string stopping_reason_message;

  static EarlyStoppingState initial(const EarlyStoppingConfig& c) {
    EarlyStoppingState s;
    double inf = std::numeric_limits<double>::infinity();
    s.best_score = c.mode_max ? -inf : inf;
    s.patience = c.patience;
    return s;
  }
};

struct EarlyStoppingDecision {
  bool should_stop = false;
  StopReason reason = StopReason::NotStopped;
  std::string message;  // Lightning's `reason` text; empty when there is nothing to say
};

class EarlyStoppingLogic {
 public:
  explicit EarlyStoppingLogic(EarlyStoppingConfig config)
      : config_(std::move(config)),
        signed_min_delta_(config_.mode_max ? config_.min_delta : -config_.min_delta) {}

  const EarlyStoppingConfig& config() const { return config_; }

  // One check with the monitored value `current`; updates `state` like Lightning does.
  EarlyStoppingDecision evaluate(double current, EarlyStoppingState& state) const {
    EarlyStoppingDecision d;
    const std::string& m = config_.monitor;
    if (config_.check_finite && !std::isfinite(current)) {
      d = stop(StopReason::NonFiniteMetric,
               "Monitored metric " + m + " = " + python_repr(current) +
                   " is not finite. Previous best value was " + fixed3(state.best_score) +
                   ". Signaling Trainer to stop.");
    } else if (config_.stopping_threshold &&
               better(current, config_.stopping_threshold->as_double())) {
      d = stop(StopReason::StoppingThreshold,
               "Stopping threshold reached: " + m + " = " + python_repr(current) + " " + order() +
                   " " + format_number(*config_.stopping_threshold, "") +
                   ". Signaling Trainer to stop.");
    } else if (config_.divergence_threshold &&
               better(-current, -config_.divergence_threshold->as_double())) {
      // Lightning prints the mode's order sign here too ("<" for min), though it means ">".
      d = stop(StopReason::DivergenceThreshold,
               "Divergence threshold reached: " + m + " = " + python_repr(current) + " " +
                   order() + " " + format_number(*config_.divergence_threshold, "") +
                   ". Signaling Trainer to stop.");
    } else if (better(current - signed_min_delta_, state.best_score)) {
      d.message = improvement_message(current, state.best_score);
      state.best_score = current;
      state.wait_count = 0;
    } else {
      state.wait_count += 1;
      if (state.wait_count >= state.patience) {
        d = stop(StopReason::PatienceExhausted,
                 "Monitored metric " + m + " did not improve in the last " +
                     std::to_string(state.wait_count) + " records. Best score: " +
                     fixed3(state.best_score) + ". Signaling Trainer to stop.");
      }
    }
    if (d.should_stop) {
      state.stopping_reason = d.reason;
      state.stopping_reason_message = d.message;
    }
    return d;
  }

  // Lightning's monitor_op: torch.lt for "min", torch.gt for "max" (false with NaN).
  bool better(double a, double b) const { return config_.mode_max ? a > b : a < b; }

 private:
  static EarlyStoppingDecision stop(StopReason r, std::string message) {
    return {true, r, std::move(message)};
  }
  const char* order() const { return config_.mode_max ? ">" : "<"; }
  static std::string fixed3(double x) { return format_number(PyNumber::real(x), ".3f"); }

  std::string improvement_message(double current, double best) const {
    if (std::isfinite(best))
      return "Metric " + config_.monitor + " improved by " + fixed3(std::fabs(best - current)) +
             " >= min_delta = " + python_repr(std::fabs(signed_min_delta_)) +
             ". New best score: " + fixed3(current);
    return "Metric " + config_.monitor + " improved. New best score: " + fixed3(current);
  }

  EarlyStoppingConfig config_;
  double signed_min_delta_;
};

}  // namespace volt::callbacks
