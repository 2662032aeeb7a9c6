// `timer`: Lightning's Timer callback. Tracks the time spent in each stage and stops the fit
// once the training time reaches `duration` ("DD:HH:MM:SS"), checked after every training
// step (interval "step") or every epoch (interval "epoch"). The elapsed training time is saved
// in checkpoints, so a resumed run keeps counting.
#pragma once

#include "python_format.hpp"
#include "timer_logic.hpp"

#include <volt/sdk.hpp>

#include <chrono>

namespace volt::callbacks {

class Timer : public Callback {
 public:
  static PluginInfo info() {
    return {"timer", "1.0.0", "Stop training after a given time (Lightning's Timer, trainer max_time)",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "duration": {"type": ["string", "null"], "default": null,
                           "description": "maximum training time as DD:HH:MM:SS (null: no limit)"},
              "interval": {"type": "string", "enum": ["step", "epoch"], "default": "step",
                           "description": "check the time after every step or every epoch"},
              "verbose": {"type": "boolean", "default": true,
                          "description": "print a message when the time limit is reached"}}})json"};
  }

  explicit Timer(const nlohmann::json& config)
      : by_epoch_(config.value("interval", std::string("step")) == "epoch"),
        verbose_(config.value("verbose", true)) {
    std::string interval = config.value("interval", std::string("step"));
    if (interval != "step" && interval != "epoch")
      throw Error("Unsupported parameter value `Timer(interval=" + interval +
                  ")`. Possible values are: step, epoch.");
    auto d = config.find("duration");
    if (d != config.end() && !d->is_null()) {
      std::string text = d->get<std::string>();
      duration_ = parse_timer_duration(text);
      if (!duration_)
        throw Error("`Timer(duration=" + python_repr(text) +
                    ")` is not a valid duration. Expected a string in the format DD:HH:MM:SS.");
    }
  }

  std::string state_key() const override { return "Timer"; }

  nlohmann::json state_dict() const override {
    nlohmann::json elapsed = nlohmann::json::object();
    double t = now();
    for (size_t i = 0; i < kTimerStageNames.size(); ++i)
      elapsed[kTimerStageNames[i]] = clock_.elapsed(static_cast<TimerStage>(i), t);
    return {{"time_elapsed", elapsed}};
  }
  void load_state_dict(const nlohmann::json& state) override {
    if (!state.is_object()) return;
    auto it = state.find("time_elapsed");
    if (it == state.end() || !it->is_object()) return;
    clock_.set_offset(it->value("train", 0.0));
  }

  void on_train_start() override { clock_.start(TimerStage::Train, now()); }
  void on_train_end() override { clock_.end(TimerStage::Train, now()); }
  void on_validation_start() override { clock_.start(TimerStage::Validate, now()); }
  void on_validation_end() override { clock_.end(TimerStage::Validate, now()); }
  void on_test_start() override { clock_.start(TimerStage::Test, now()); }
  void on_test_end() override { clock_.end(TimerStage::Test, now()); }
  void on_predict_start() override { clock_.start(TimerStage::Predict, now()); }
  void on_predict_end() override { clock_.end(TimerStage::Predict, now()); }

  // Checked regardless of the interval: a restored state may already be out of time.
  void on_fit_start() override {
    if (duration_) check_time_remaining();
  }
  void on_train_batch_end(const torch::Tensor&, const Batch&, int64_t) override {
    if (!by_epoch_ && duration_) check_time_remaining();
  }
  void on_train_epoch_end() override {
    if (by_epoch_ && duration_) check_time_remaining();
  }

  double time_elapsed(TimerStage stage = TimerStage::Train) const { return clock_.elapsed(stage, now()); }
  std::optional<double> time_remaining(TimerStage stage = TimerStage::Train) const {
    if (!duration_) return std::nullopt;
    return *duration_ - time_elapsed(stage);
  }

 private:
  static double now() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
  }

  void check_time_remaining() {
    double elapsed = time_elapsed(TimerStage::Train);
    if (elapsed < *duration_) return;
    std::string reason = "Time limit reached. Elapsed time is " +
                         python_timedelta_str(static_cast<int64_t>(elapsed)) +
                         ". Signaling Trainer to stop.";
    // The trainer prints the reason it is given (once); verbose=false stops silently.
    if (context() != nullptr)
      volt::detail::host().request_stop(context(), verbose_ && global_rank() == 0 ? reason.c_str() : "");
  }

  std::optional<double> duration_;
  bool by_epoch_;
  bool verbose_;
  StageClock clock_;
};

}  // namespace volt::callbacks
