// `lr_monitor`: Lightning's LearningRateMonitor: logs "lr-<Optimizer>" (and momentum) at every
// step and/or epoch, through the host's self.log service (on_train_batch_start logs per step,
// on_train_epoch_start per epoch, as Lightning's fx_validator allows).
//
// NOT EXPORTED: in host ABI 1.1 a callback cannot see the optimizers (configure_optimizers hands
// them to the host only; hook args carry optimizer_idx, not the optimizer). optimizers() is the
// one missing piece; it needs a host service listing the running fit's optimizers with their
// scheduler configs, plus a momentum/betas getter on volt_optimizer (see the report).
#pragma once

#include "common.hpp"
#include "lr_monitor_logic.hpp"

#include <volt/sdk.hpp>

namespace volt::callbacks {

class LearningRateMonitor : public Callback {
 public:
  static PluginInfo info() {
    return {"lr_monitor", "1.0.0", "Log learning rates (Lightning's LearningRateMonitor)",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "logging_interval": {"type": ["string", "null"], "enum": ["step", "epoch", null],
                                   "default": null,
                                   "description": "step, epoch, or null: each scheduler's own interval"},
              "log_momentum": {"type": "boolean", "default": false,
                               "description": "also log momentum (or Adam's beta1)"}}})json"};
  }

  explicit LearningRateMonitor(const nlohmann::json& config)
      : logging_interval_(optional_value<std::string>(config, "logging_interval")),
        log_momentum_(config.value("log_momentum", false)) {}

  void on_train_start() override {
    volt_trainer_state s = trainer_state();
    if (s.log_dir == nullptr)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  "Cannot use `LearningRateMonitor` callback with `Trainer` that has no logger.");
    optimizers();  // fails early, with the reason, when the host cannot list optimizers
  }
  void on_train_batch_start(const Batch&, int64_t) override { log_stats(true); }
  void on_train_epoch_start() override { log_stats(false); }

 private:
  // The running fit's optimizers with their current learning rates.
  std::vector<LrOptimizerInfo> optimizers() const {
    throw Error(VOLT_ERROR_UNIMPLEMENTED,
                "lr_monitor: this host does not expose the optimizers to callbacks (needs a host "
                "service listing the fit's optimizers and scheduler configs)");
  }

  void log_stats(bool at_batch_start) {
    std::optional<std::string> interval = lr_monitor_interval(logging_interval_, at_batch_start);
    if (!interval || context() == nullptr) return;
    for (const auto& [name, value] : lr_monitor_stats(optimizers(), *interval, log_momentum_)) {
      volt_log_args a{};
      a.struct_size = sizeof(a);
      a.name = name.c_str();
      a.scalar = value;
      a.on_step = VOLT_DEFAULT;
      a.on_epoch = VOLT_DEFAULT;
      a.reduce_fx = VOLT_REDUCE_MEAN;
      a.logger = true;
      a.batch_size = 1;
      volt::detail::check(volt::detail::host().log_metric(context(), &a), "lr_monitor: log");
    }
  }

  std::optional<std::string> logging_interval_;
  bool log_momentum_;
};

}  // namespace volt::callbacks
