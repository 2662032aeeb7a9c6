// `lr_monitor`: Lightning's LearningRateMonitor: logs "lr-<Optimizer>" (and momentum) at every
// step and/or epoch, through the host's self.log service (on_train_batch_start logs per step,
// on_train_epoch_start per epoch, as Lightning's fx_validator allows). The optimizers come from
// the host's optimizer_info service (ABI 1.1).
#pragma once

#include "common.hpp"
#include "lr_monitor_logic.hpp"

#include <volt/sdk.hpp>

#include <cmath>

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
    const volt_host_api& host = volt::detail::host();
    if (!VOLT_HAS_FIELD(&host, volt_host_api, optimizer_info))
      throw Error(VOLT_ERROR_UNIMPLEMENTED,
                  "lr_monitor needs a host with ABI 1.1 or newer (optimizer_info)");
    std::vector<LrOptimizerInfo> out;
    size_t n = host.optimizer_count(context());
    for (size_t k = 0; k < n; ++k) {
      volt_optimizer_info info{};
      info.struct_size = volt::abi_size(&info);
      if (!host.optimizer_info(context(), k, &info) || info.optimizer == nullptr) continue;
      const volt_optimizer* opt = info.optimizer;
      LrOptimizerInfo o;
      o.class_name = opt->name(opt);
      size_t groups = opt->param_group_count(opt);
      bool has_momentum = VOLT_HAS_FIELD(opt, volt_optimizer, get_momentum) && opt->get_momentum;
      for (size_t g = 0; g < groups; ++g) {
        o.group_names.emplace_back();
        o.lrs.push_back(opt->get_lr(opt, g));
        double m = has_momentum ? opt->get_momentum(opt, g) : 0.0;
        o.momentum.push_back(std::isnan(m) ? 0.0 : m);
      }
      o.has_scheduler = info.has_scheduler;
      if (info.scheduler_name != nullptr) o.scheduler_name = std::string(info.scheduler_name);
      o.scheduler_interval = info.interval == VOLT_INTERVAL_STEP ? "step" : "epoch";
      out.push_back(std::move(o));
    }
    return out;
  }

  void log_stats(bool at_batch_start) {
    std::optional<std::string> interval = lr_monitor_interval(logging_interval_, at_batch_start);
    if (!interval || context() == nullptr) return;
    for (const auto& [name, value] : lr_monitor_stats(optimizers(), *interval, log_momentum_)) {
      // Lightning hands the learning rates to the loggers as Python floats: a float64 tensor
      // keeps them exact (a number would be logged as float32, as self.log does).
      log(name, torch::scalar_tensor(value, torch::kFloat64), volt::LogOptions().batch_size(1));
    }
  }

  std::optional<std::string> logging_interval_;
  bool log_momentum_;
};

}  // namespace volt::callbacks
