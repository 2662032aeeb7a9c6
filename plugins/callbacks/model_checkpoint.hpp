// `model_checkpoint`: Lightning's ModelCheckpoint. Saves through the host's save_checkpoint
// (volt/c/host.h, ABI 1.1) into dirpath (default <log_dir>/checkpoints, or
// <default_root_dir>/checkpoints without a logger), names files from a template
// (checkpoint_filename.hpp), keeps the top k by the monitored metric (checkpoint_topk.hpp) and
// optionally last.ckpt.
//
// When: every every_n_train_steps optimizer steps (on_train_batch_end), or every every_n_epochs
// epochs (default 1) at train epoch end when validation runs once per epoch at its end or not at
// all, else at validation end (Lightning's _should_save_on_train_epoch_end;
// save_on_train_epoch_end=true/false forces one of the two).
#pragma once

#include "checkpoint_filename.hpp"
#include "checkpoint_topk.hpp"
#include "common.hpp"
#include "score_state.hpp"
#include "timer_logic.hpp"

#include <volt/sdk.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>

namespace volt::callbacks {

class ModelCheckpoint : public Callback {
 public:
  static PluginInfo info();  // model_checkpoint_info.hpp
  explicit ModelCheckpoint(const nlohmann::json& config);

  std::string state_key() const override {
    auto opt = [](const std::optional<std::string>& s) { return s ? python_repr(*s) : "None"; };
    return "ModelCheckpoint{'monitor': " + opt(monitor_) + ", 'mode': " +
           python_repr(std::string(mode_max_ ? "max" : "min")) +
           ", 'every_n_train_steps': " + std::to_string(every_n_train_steps_) +
           ", 'every_n_epochs': " + std::to_string(every_n_epochs_) +
           ", 'train_time_interval': " + train_time_interval_repr() + "}";
  }
  bool is_monitoring() const override { return true; }
  nlohmann::json state_dict() const override;
  c10::IValue full_state_dict() const override;  // scores as tensors (score_state.hpp)
  void load_state_dict(const nlohmann::json& state) override;

  void setup(Stage stage) override;
  void on_train_start() override { last_time_checked_ = std::chrono::steady_clock::now(); }
  void on_train_epoch_start() override { validated_this_epoch_ = false; }
  void on_train_batch_end(const torch::Tensor&, const Batch&, int64_t) override;
  void on_validation_end() override;
  void on_train_epoch_end() override;

  const TopKTracker& tracker() const { return top_k_; }
  const std::string& last_model_path() const { return last_model_path_; }
  const std::string& dirpath() const { return dirpath_; }

 private:
  bool should_skip_saving(const volt_trainer_state& s) const {
    return s.stage != VOLT_STAGE_FIT || s.sanity_checking ||
           last_global_step_saved_ == s.global_step;
  }
  bool should_save_on_train_epoch_end(const volt_trainer_state& s) const {
    if (save_on_train_epoch_end_) return *save_on_train_epoch_end_;
    if (volt::detail::host().abi_minor < 9) return !validated_this_epoch_;  // schedule unknown
    if (s.check_val_every_n_epoch != 1) return false;
    if (s.num_val_batches == 0) return true;
    return s.val_check_interval == 1.0;
  }
  // Python's repr of the timedelta (whole seconds), or None.
  std::string train_time_interval_repr() const {
    if (!train_time_interval_) return "None";
    auto total = static_cast<int64_t>(*train_time_interval_);
    int64_t days = total / 86400, seconds = total % 86400;
    if (total == 0) return "datetime.timedelta(0)";
    std::string parts;
    if (days != 0) parts += "days=" + std::to_string(days);
    if (seconds != 0) parts += (parts.empty() ? "" : ", ") + std::string("seconds=") + std::to_string(seconds);
    return "datetime.timedelta(" + parts + ")";
  }
  // The monitored value: a callback metric, or the integer epoch / step.
  std::optional<double> monitored(const volt_trainer_state& s) const {
    std::optional<PyNumber> v = metric(*monitor_, s);
    return v ? std::optional<double>(v->as_double()) : std::nullopt;
  }
  void save_at_epoch_boundary(const volt_trainer_state& s) {
    if (every_n_epochs_ >= 1 && (s.current_epoch + 1) % every_n_epochs_ == 0) save_top_k(s);
    save_last(s);
  }
  void resolve_dirpath();
  std::optional<PyNumber> metric(const std::string& name, const volt_trainer_state& s) const;
  std::string checkpoint_name(const std::string& tmpl, const volt_trainer_state& s,
                              std::optional<int> version) const;
  std::string versioned_path(const std::string& tmpl, const volt_trainer_state& s,
                             const std::string& allowed) const;
  void save_top_k(const volt_trainer_state& s);
  void save_last(const volt_trainer_state& s);
  void link_checkpoint(const std::string& target, const std::string& link,
                       const volt_trainer_state& s) const;
  void save_checkpoint(const std::string& path, const volt_trainer_state& s);
  bool should_remove(const std::string& previous, const std::string& current) const;
  void remove_checkpoint(const std::string& path, const volt_trainer_state& s) const;

  // Options.
  std::string dirpath_;  // resolved in setup when not given
  bool dirpath_given_ = false;
  std::string filename_;
  std::optional<std::string> monitor_;
  bool verbose_ = false;
  std::optional<bool> save_last_;
  bool save_last_link_ = false;  // save_last="link"
  int64_t save_top_k_opt_ = 1;
  bool save_weights_only_ = false;
  bool mode_max_ = false;
  bool auto_insert_metric_name_ = true;
  int64_t every_n_train_steps_ = 0;
  int64_t every_n_epochs_ = 1;
  std::optional<double> train_time_interval_;  // seconds
  std::chrono::steady_clock::time_point last_time_checked_ = std::chrono::steady_clock::now();
  std::optional<bool> save_on_train_epoch_end_;
  bool enable_version_counter_ = true;

  // State.
  TopKTracker top_k_;
  std::string last_model_path_;
  std::string last_checkpoint_saved_;
  int64_t last_global_step_saved_ = 0;  // Lightning: nothing to save before the first step
  bool validated_this_epoch_ = false;
  bool val_has_run_ = false;
  bool warned_missing_monitor_ = false;
};

}  // namespace volt::callbacks

#include "model_checkpoint_impl.hpp"
