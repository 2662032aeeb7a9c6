// Small value types of the C++ layer: stages, batches, self.log options, the trainer view.
#pragma once

#include <volt/sdk/core.hpp>

#include <optional>
#include <string>
#include <vector>

namespace volt {

enum class Stage { Fit = VOLT_STAGE_FIT, Validate = VOLT_STAGE_VALIDATE, Test = VOLT_STAGE_TEST,
                   Predict = VOLT_STAGE_PREDICT };

inline const char* stage_name(Stage s) {
  switch (s) {
    case Stage::Fit: return "fit";
    case Stage::Validate: return "validate";
    case Stage::Test: return "test";
    case Stage::Predict: return "predict";
  }
  return "?";
}

// A batch: the tensors a datamodule produced for one step, in order (e.g. {x, y}).
using Batch = std::vector<torch::Tensor>;

// A checkpoint's top-level dict as on_save_checkpoint / on_load_checkpoint see it.
using CheckpointDict = c10::Dict<std::string, c10::IValue>;
// An empty one (c10 cannot default-construct a dict of IValues).
inline CheckpointDict new_checkpoint_dict() {
  return c10::impl::toTypedDict<std::string, c10::IValue>(
      c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get()));
}

enum class Reduce { Mean = VOLT_REDUCE_MEAN, Sum = VOLT_REDUCE_SUM, Max = VOLT_REDUCE_MAX,
                    Min = VOLT_REDUCE_MIN };

// Options of LightningModule::log, with Lightning's defaults. Chainable:
//   log("val_acc", acc, LogOptions().prog_bar(true));
struct LogOptions {
  std::optional<bool> on_step_;
  std::optional<bool> on_epoch_;
  Reduce reduce_fx_ = Reduce::Mean;
  bool prog_bar_ = false;
  bool logger_ = true;
  bool sync_dist_ = false;
  bool rank_zero_only_ = false;
  int64_t batch_size_ = 0;

  LogOptions& on_step(bool v) { on_step_ = v; return *this; }
  LogOptions& on_epoch(bool v) { on_epoch_ = v; return *this; }
  LogOptions& reduce_fx(Reduce v) { reduce_fx_ = v; return *this; }
  LogOptions& prog_bar(bool v) { prog_bar_ = v; return *this; }
  LogOptions& logger(bool v) { logger_ = v; return *this; }
  LogOptions& sync_dist(bool v) { sync_dist_ = v; return *this; }
  LogOptions& rank_zero_only(bool v) { rank_zero_only_ = v; return *this; }
  LogOptions& batch_size(int64_t v) { batch_size_ = v; return *this; }
};

// What every plugin instance knows about its host: the context handle and helpers that use it.
class PluginBase {
 public:
  virtual ~PluginBase() = default;

  // Writes to the host's log (prefixed with the plugin's id).
  void log_info(const std::string& message) const { host_log(VOLT_LOG_INFO, message); }
  void log_warning(const std::string& message) const { host_log(VOLT_LOG_WARNING, message); }

  // Trainer state at the time of the call.
  volt_trainer_state trainer_state() const {
    volt_trainer_state s{};
    s.struct_size = volt::abi_size(&s);
    if (context_ != nullptr) detail::host().trainer_state(context_, &s);
    return s;
  }
  int64_t current_epoch() const { return trainer_state().current_epoch; }
  int64_t global_step() const { return trainer_state().global_step; }
  int32_t global_rank() const { return trainer_state().global_rank; }
  int32_t world_size() const { return trainer_state().world_size; }
  bool is_cancelled() const {
    return context_ != nullptr && detail::host().is_cancelled(context_);
  }
  // Latest value of a logged metric (trainer.callback_metrics[name]).
  std::optional<double> callback_metric(const std::string& name) const {
    double v = 0;
    if (context_ != nullptr && detail::host().callback_metric(context_, name.c_str(), &v)) return v;
    return std::nullopt;
  }

  // Set by the export layer right after construction.
  void attach(volt_host_context* context) { context_ = context; }
  volt_host_context* context() const { return context_; }

 private:
  void host_log(int32_t severity, const std::string& message) const {
    if (detail::host_slot() != nullptr) detail::host().log(context_, severity, message.c_str());
  }
  volt_host_context* context_ = nullptr;
};

}  // namespace volt
