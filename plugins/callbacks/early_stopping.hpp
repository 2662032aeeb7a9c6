// `early_stopping`: Lightning's EarlyStopping callback. Stops the fit when the monitored metric
// stops improving (patience counts checks, not epochs), crosses a stopping or divergence
// threshold, or becomes non-finite; the reason is handed to the trainer, which prints it.
//
// Checks run at train epoch end or at validation end: check_on_train_epoch_end=null picks train
// epoch end when val_check_interval == 1.0 and check_val_every_n_epoch == 1 (Lightning's
// setup), which also sees the training epoch metrics.
#pragma once

#include "common.hpp"
#include "early_stopping_logic.hpp"
#include "score_state.hpp"

#include <volt/sdk.hpp>

namespace volt::callbacks {

class EarlyStopping : public Callback {
 public:
  static PluginInfo info() {
    return {"early_stopping", "1.0.0",
            "Stop training when a monitored metric stops improving (Lightning's EarlyStopping)",
            R"json({"type": "object", "additionalProperties": false, "required": ["monitor"],
              "properties": {
              "monitor": {"type": "string",
                          "description": "metric to monitor (a name logged with self.log, e.g. val_loss)"},
              "min_delta": {"type": "number", "default": 0.0,
                            "description": "minimum change that counts as an improvement"},
              "patience": {"type": "integer", "minimum": 0, "default": 3,
                           "description": "checks with no improvement before stopping (checks, not epochs)"},
              "verbose": {"type": "boolean", "default": false,
                          "description": "log every check's outcome"},
              "mode": {"type": "string", "enum": ["min", "max"], "default": "min",
                       "description": "min: stop when the metric stops decreasing; max: increasing"},
              "strict": {"type": "boolean", "default": true,
                         "description": "error when the monitored metric is missing (else warn if verbose)"},
              "check_finite": {"type": "boolean", "default": true,
                               "description": "stop when the metric becomes NaN or infinite"},
              "stopping_threshold": {"type": ["number", "null"], "default": null,
                                     "description": "stop at once when the metric reaches this value"},
              "divergence_threshold": {"type": ["number", "null"], "default": null,
                                       "description": "stop at once when the metric gets worse than this value"},
              "check_on_train_epoch_end": {"type": ["boolean", "null"], "default": null,
                                           "description": "true: check at train epoch end; false: at validation end; null: train epoch end when validation runs once per epoch at its end"},
              "log_rank_zero_only": {"type": "boolean", "default": false,
                                     "description": "verbose messages from rank 0 only"}}})json"};
  }

  explicit EarlyStopping(const nlohmann::json& config)
      : logic_(make_config(config)),
        state_(EarlyStoppingState::initial(logic_.config())),
        verbose_(config.value("verbose", false)),
        strict_(config.value("strict", true)),
        check_on_train_epoch_end_(optional_value<bool>(config, "check_on_train_epoch_end")),
        log_rank_zero_only_(config.value("log_rank_zero_only", false)) {}

  // Lightning: EarlyStopping{'monitor': 'val_loss', 'mode': 'min'}
  std::string state_key() const override {
    const EarlyStoppingConfig& c = logic_.config();
    return "EarlyStopping{'monitor': " + python_repr(c.monitor) + ", 'mode': " +
           python_repr(std::string(c.mode_max ? "max" : "min")) + "}";
  }
  bool is_monitoring() const override { return true; }

  nlohmann::json state_dict() const override {
    return {{"wait_count", state_.wait_count},
            {"stopped_epoch", state_.stopped_epoch},
            {"best_score", score_to_json(state_.best_score)},
            {"patience", state_.patience}};
  }

  // Lightning's types: best_score a tensor (its _evaluate_stopping_criteria calls .to() on it).
  c10::IValue full_state_dict() const override {
    c10::impl::GenericDict d = json_to_ivalue(state_dict()).toGenericDict();
    d.insert_or_assign("best_score", score_ivalue(state_.best_score));
    return d;
  }

  void load_state_dict(const nlohmann::json& state) override {
    if (!state.is_object()) return;
    state_.wait_count = state.value("wait_count", state_.wait_count);
    state_.stopped_epoch = state.value("stopped_epoch", state_.stopped_epoch);
    if (auto best = state.find("best_score"); best != state.end())
      if (auto v = score_from_json(*best)) state_.best_score = *v;
    state_.patience = state.value("patience", state_.patience);
  }

  void on_train_epoch_end() override {
    if (check_on_train_epoch_end() && !should_skip_check()) run_check();
  }
  void on_validation_end() override {
    if (!check_on_train_epoch_end() && !should_skip_check()) run_check();
  }

  const EarlyStoppingState& state() const { return state_; }

 private:
  static EarlyStoppingConfig make_config(const nlohmann::json& j) {
    EarlyStoppingConfig c;
    c.monitor = j.at("monitor").get<std::string>();
    if (c.monitor.empty()) throw Error("early_stopping: monitor must name a metric");
    c.min_delta = j.value("min_delta", 0.0);
    c.patience = j.value("patience", int64_t{3});
    std::string mode = j.value("mode", std::string("min"));
    if (mode != "min" && mode != "max")
      throw Error("early_stopping: `mode` can be min, max, got " + mode);
    c.mode_max = mode == "max";
    c.check_finite = j.value("check_finite", true);
    auto number = [&](const char* key) -> std::optional<PyNumber> {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return std::nullopt;
      if (it->is_number_integer()) return PyNumber::integer(it->get<int64_t>());
      return PyNumber::real(it->get<double>());
    };
    c.stopping_threshold = number("stopping_threshold");
    c.divergence_threshold = number("divergence_threshold");
    return c;
  }

  bool check_on_train_epoch_end() const {
    if (check_on_train_epoch_end_) return *check_on_train_epoch_end_;
    if (volt::detail::host().abi_minor < 9) return false;  // the schedule is not known
    volt_trainer_state s = trainer_state();
    return s.val_check_interval == 1.0 && s.check_val_every_n_epoch == 1;
  }

  // Lightning's _should_skip_check: only while fitting, never during the sanity check.
  bool should_skip_check() const {
    volt_trainer_state s = trainer_state();
    return s.stage != VOLT_STAGE_FIT || s.sanity_checking;
  }

  void run_check() {
    const std::string& monitor = logic_.config().monitor;
    std::optional<double> current = callback_metric(monitor);
    if (!current) {
      // Lightning's message, with the metrics a callback may monitor (ABI 1.10).
      std::string available;
      for (const auto& name : callback_metric_names())
        available += (available.empty() ? " `" : "`, `") + name;
      std::string message = "Early stopping conditioned on metric `" + monitor +
                            "` which is not available. Pass in or modify your `EarlyStopping` "
                            "callback to use any of the following:" +
                            (available.empty() ? std::string(" (none logged)") : available + "`");
      if (strict_) throw Error(VOLT_ERROR_NOT_FOUND, message);
      if (verbose_) log_warning(message);
      return;
    }
    EarlyStoppingDecision d = logic_.evaluate(*current, state_);
    volt_trainer_state s = trainer_state();
    if (d.should_stop) {
      // The trainer prints the reason (always: Volt prints why a fit stopped early).
      state_.stopped_epoch = s.current_epoch;
      if (context() != nullptr) volt::detail::host().request_stop(context(), d.message.c_str());
      return;
    }
    if (!d.message.empty() && verbose_) {
      if (log_rank_zero_only_ && s.global_rank != 0) return;
      log_info(s.world_size > 1 ? "[rank: " + std::to_string(s.global_rank) + "] " + d.message
                                : d.message);
    }
  }

  EarlyStoppingLogic logic_;
  EarlyStoppingState state_;
  bool verbose_;
  bool strict_;
  std::optional<bool> check_on_train_epoch_end_;
  bool log_rank_zero_only_;
};

}  // namespace volt::callbacks
