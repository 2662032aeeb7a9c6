// `progress_bar`: Lightning's TQDMProgressBar as an ordinary callback. "Epoch N" for each
// training epoch (with the metrics logged with prog_bar=True), and a bar for the sanity check,
// validation, test and predict runs. The host adds it when trainer.enable_progress_bar is true
// and no configured callback has the progress-bar role; a replacement declares
// "x-volt-role": "progress_bar" in its schema.
#pragma once

#include "progress_bar_display.hpp"

#include <volt/sdk.hpp>

namespace volt::callbacks {

class ProgressBar : public Callback {
 public:
  static PluginInfo info() {
    return {"progress_bar", "1.0.0",
            "Training and evaluation progress on the console (Lightning's TQDMProgressBar)",
            R"json({"type": "object", "additionalProperties": false,
              "x-volt-role": "progress_bar", "properties": {
              "refresh_rate": {"type": "integer", "minimum": 0, "default": 1,
                               "description": "redraw at most every N batches; 0 disables the bar"},
              "leave": {"type": "boolean", "default": false,
                        "description": "keep finished evaluation bars on a terminal"}}})json"};
  }

  explicit ProgressBar(const nlohmann::json& config)
      : refresh_rate_(config.value("refresh_rate", int64_t{1})),
        main_{ProgressDisplay(ProgressDisplay::Kind::Main, true)},
        eval_{ProgressDisplay(ProgressDisplay::Kind::Evaluation, config.value("leave", false))} {}

  void on_train_epoch_start() override {
    start(main_, "Epoch " + std::to_string(current_epoch()));
  }
  void on_train_batch_end(const torch::Tensor&, const Batch&, int64_t batch_idx) override {
    update(main_, batch_idx);
  }
  void on_train_epoch_end() override { finish(main_); }

  void on_validation_start() override {
    start(eval_, trainer_state().sanity_checking ? "Sanity Checking" : "Validation");
  }
  void on_validation_batch_end(const torch::Tensor&, const Batch&, int64_t batch_idx) override {
    update(eval_, batch_idx);
  }
  void on_validation_end() override { finish(eval_); }

  void on_test_start() override { start(eval_, "Testing"); }
  void on_test_batch_end(const torch::Tensor&, const Batch&, int64_t batch_idx) override {
    update(eval_, batch_idx);
  }
  void on_test_end() override { finish(eval_); }

  // The SDK has no per-batch predict hooks for callbacks: the bar is drawn once, at the end.
  void on_predict_epoch_start() override { start(eval_, "Predicting"); }
  void on_predict_epoch_end() override {
    eval_.done = eval_.total;
    finish(eval_);
  }

 private:
  // A display with the batch count of its loop and the batches done so far.
  struct Bar {
    ProgressDisplay display;
    int64_t total = -1;
    int64_t done = 0;
  };

  // Rank > 0 or refresh_rate 0: the display is never started, and its update() and finish()
  // return at once, so a step costs no host call.
  void start(Bar& bar, const std::string& description) {
    volt_trainer_state s = trainer_state();
    if (refresh_rate_ == 0 || s.global_rank != 0) return;
    // The host fills only the fields it knows; num_batches is there since ABI 1.2.
    bar.total = volt::detail::host().abi_minor >= 2 ? s.num_batches : -1;
    bar.done = 0;
    bar.display.start(description, bar.total);
  }
  void update(Bar& bar, int64_t batch_idx) {
    bar.done = batch_idx + 1;
    if (refresh_rate_ == 0 || bar.done % refresh_rate_ != 0) return;
    bar.display.update(bar.done, [this] { return metrics(); });
  }
  void finish(Bar& bar) {
    bar.display.finish(bar.done, [this] { return metrics(); });
  }

  // trainer.progress_bar_metrics; none from a host older than ABI 1.2.
  ProgressDisplay::Metrics metrics() const {
    ProgressDisplay::Metrics out;
    const volt_host_api& host = volt::detail::host();
    if (context() == nullptr ||
        !VOLT_HAS_FIELD(&host, volt_host_api, progress_bar_metrics) ||
        host.progress_bar_metrics == nullptr)
      return out;
    nlohmann::json m = nlohmann::json::parse(host.progress_bar_metrics(context()), nullptr, false);
    if (!m.is_object()) return out;
    for (const auto& [name, value] : m.items())
      if (value.is_number()) out.emplace_back(name, value.get<double>());
    return out;
  }

  int64_t refresh_rate_;
  Bar main_;
  Bar eval_;
};

}  // namespace volt::callbacks
