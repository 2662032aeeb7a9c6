// Lightning's EarlyStopping decisions (plugins/callbacks/early_stopping_logic.hpp): sequences
// of monitored values with patience, min_delta in both modes, thresholds and non-finite values,
// with Lightning's reason texts.
#include "../../plugins/callbacks/early_stopping_logic.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace volt::callbacks;

namespace {

struct Run {
  EarlyStoppingLogic logic;
  EarlyStoppingState state;
  explicit Run(EarlyStoppingConfig c) : logic(c), state(EarlyStoppingState::initial(c)) {}
  // Feeds values until one stops; returns the index of the stopping check (-1: none).
  int feed(const std::vector<double>& values, EarlyStoppingDecision* last = nullptr) {
    for (size_t i = 0; i < values.size(); ++i) {
      EarlyStoppingDecision d = logic.evaluate(values[i], state);
      if (last != nullptr) *last = d;
      if (d.should_stop) return static_cast<int>(i);
    }
    return -1;
  }
};

EarlyStoppingConfig config(int64_t patience, bool mode_max = false, double min_delta = 0.0) {
  EarlyStoppingConfig c;
  c.monitor = "val_loss";
  c.patience = patience;
  c.mode_max = mode_max;
  c.min_delta = min_delta;
  return c;
}

}  // namespace

TEST_CASE("early stopping: patience counts checks without improvement", "[callbacks][early_stopping]") {
  Run r(config(3));
  EarlyStoppingDecision d;
  CHECK(r.feed({1.0, 0.9, 0.95, 0.95, 0.91}, &d) == 4);
  CHECK(d.reason == StopReason::PatienceExhausted);
  CHECK(d.message ==
        "Monitored metric val_loss did not improve in the last 3 records. Best score: 0.900. "
        "Signaling Trainer to stop.");
  CHECK(r.state.wait_count == 3);
  CHECK(r.state.best_score == 0.9);
  CHECK(r.state.stopping_reason == StopReason::PatienceExhausted);
  CHECK(r.state.stopping_reason_message == d.message);
}

TEST_CASE("early stopping: an improvement resets the wait count", "[callbacks][early_stopping]") {
  Run r(config(2));
  CHECK(r.feed({1.0, 1.1, 0.8, 0.85, 0.7, 0.75}) == -1);
  CHECK(r.state.wait_count == 1);
  CHECK(r.state.best_score == 0.7);
  CHECK(r.feed({0.75}) == 0);
}

TEST_CASE("early stopping: patience 0 and 1", "[callbacks][early_stopping]") {
  Run zero(config(0));
  CHECK(zero.feed({1.0, 1.0}) == 1);  // an equal value is no improvement
  Run one(config(1));
  EarlyStoppingDecision d;
  CHECK(one.feed({0.5, 0.4, 0.45}, &d) == 2);
  CHECK(d.message.find("did not improve in the last 1 records. Best score: 0.400.") != std::string::npos);
}

TEST_CASE("early stopping: min_delta is signed by mode", "[callbacks][early_stopping]") {
  // min: an improvement must beat best by more than min_delta (current + delta < best).
  Run min_mode(config(10, false, 0.1));
  min_mode.feed({1.0, 0.95});
  CHECK(min_mode.state.wait_count == 1);
  CHECK(min_mode.state.best_score == 1.0);
  EarlyStoppingDecision d = min_mode.logic.evaluate(0.85, min_mode.state);
  CHECK(min_mode.state.best_score == 0.85);
  CHECK(min_mode.state.wait_count == 0);
  CHECK(d.message == "Metric val_loss improved by 0.150 >= min_delta = 0.1. New best score: 0.850");

  // max: current - delta > best.
  Run max_mode(config(10, true, 0.1));
  d = max_mode.logic.evaluate(0.5, max_mode.state);
  CHECK(d.message == "Metric val_loss improved. New best score: 0.500");
  max_mode.feed({0.55});
  CHECK(max_mode.state.wait_count == 1);
  max_mode.feed({0.61});
  CHECK(max_mode.state.wait_count == 0);
  CHECK(max_mode.state.best_score == 0.61);
}

TEST_CASE("early stopping: initial best score by mode", "[callbacks][early_stopping]") {
  CHECK(EarlyStoppingState::initial(config(3)).best_score == std::numeric_limits<double>::infinity());
  CHECK(EarlyStoppingState::initial(config(3, true)).best_score ==
        -std::numeric_limits<double>::infinity());
  CHECK(EarlyStoppingState::initial(config(7)).patience == 7);
}

TEST_CASE("early stopping: stopping threshold", "[callbacks][early_stopping]") {
  EarlyStoppingConfig c = config(100);
  c.stopping_threshold = PyNumber::real(0.1);
  Run r(c);
  EarlyStoppingDecision d;
  CHECK(r.feed({0.5, 0.2, 0.1, 0.05}, &d) == 3);  // 0.1 is not < 0.1
  CHECK(d.reason == StopReason::StoppingThreshold);
  CHECK(d.message == "Stopping threshold reached: val_loss = 0.05 < 0.1. Signaling Trainer to stop.");

  EarlyStoppingConfig m = config(100, true);
  m.monitor = "val_acc";
  m.stopping_threshold = PyNumber::integer(1);
  Run rm(m);
  CHECK(rm.feed({0.5, 0.99, 1.5}, &d) == 2);
  CHECK(d.message == "Stopping threshold reached: val_acc = 1.5 > 1. Signaling Trainer to stop.");
}

TEST_CASE("early stopping: divergence threshold", "[callbacks][early_stopping]") {
  EarlyStoppingConfig c = config(100);
  c.divergence_threshold = PyNumber::real(5.0);
  Run r(c);
  EarlyStoppingDecision d;
  CHECK(r.feed({1.0, 4.0, 5.0, 6.5}, &d) == 3);
  CHECK(d.reason == StopReason::DivergenceThreshold);
  // Lightning prints the mode's sign ("<" for min) even though the value went above.
  CHECK(d.message == "Divergence threshold reached: val_loss = 6.5 < 5.0. Signaling Trainer to stop.");

  EarlyStoppingConfig m = config(100, true);
  m.divergence_threshold = PyNumber::real(0.2);
  Run rm(m);
  CHECK(rm.feed({0.5, 0.3, 0.1}, &d) == 2);
  CHECK(d.reason == StopReason::DivergenceThreshold);
}

TEST_CASE("early stopping: thresholds are checked before improvement", "[callbacks][early_stopping]") {
  EarlyStoppingConfig c = config(100);
  c.stopping_threshold = PyNumber::real(0.5);
  c.divergence_threshold = PyNumber::real(10.0);
  Run r(c);
  EarlyStoppingDecision d = r.logic.evaluate(0.4, r.state);
  CHECK(d.reason == StopReason::StoppingThreshold);
  CHECK(r.state.best_score == std::numeric_limits<double>::infinity());  // not recorded
}

TEST_CASE("early stopping: non-finite values", "[callbacks][early_stopping]") {
  Run r(config(100));
  EarlyStoppingDecision d;
  CHECK(r.feed({0.7, std::nan("")}, &d) == 1);
  CHECK(d.reason == StopReason::NonFiniteMetric);
  CHECK(d.message ==
        "Monitored metric val_loss = nan is not finite. Previous best value was 0.700. "
        "Signaling Trainer to stop.");

  Run first(config(100));
  CHECK(first.feed({std::numeric_limits<double>::infinity()}, &d) == 0);
  CHECK(d.message ==
        "Monitored metric val_loss = inf is not finite. Previous best value was inf. "
        "Signaling Trainer to stop.");

  // check_finite=false: NaN never improves, it only uses up patience.
  EarlyStoppingConfig c = config(2);
  c.check_finite = false;
  Run lax(c);
  CHECK(lax.feed({0.5, std::nan(""), std::nan("")}, &d) == 2);
  CHECK(d.reason == StopReason::PatienceExhausted);
  CHECK(lax.state.best_score == 0.5);
}

TEST_CASE("early stopping: values print like Python floats", "[callbacks][early_stopping]") {
  EarlyStoppingConfig c = config(100);
  c.stopping_threshold = PyNumber::real(0.2);
  Run r(c);
  EarlyStoppingDecision d = r.logic.evaluate(static_cast<double>(0.123f), r.state);
  CHECK(d.message ==
        "Stopping threshold reached: val_loss = 0.12300000339746475 < 0.2. Signaling Trainer to stop.");
}

TEST_CASE("early stopping: restored state continues the count", "[callbacks][early_stopping]") {
  EarlyStoppingConfig c = config(3);
  EarlyStoppingLogic logic(c);
  EarlyStoppingState s = EarlyStoppingState::initial(c);
  s.best_score = 0.3;
  s.wait_count = 2;
  EarlyStoppingDecision d = logic.evaluate(0.31, s);
  CHECK(d.should_stop);
  CHECK(d.message.find("in the last 3 records. Best score: 0.300") != std::string::npos);
  // A restored patience (Lightning stores it) wins over the configured one.
  EarlyStoppingState longer = EarlyStoppingState::initial(c);
  longer.patience = 5;
  longer.best_score = 0.3;
  longer.wait_count = 2;
  CHECK_FALSE(logic.evaluate(0.31, longer).should_stop);
}
