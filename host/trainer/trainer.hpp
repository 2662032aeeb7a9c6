// The trainer: runs fit / validate / test / predict over plugin instances, calling hooks in
// Lightning's order. It is also the TrainerServices behind self.log and the trainer state.
#pragma once

#include "console/progress_bar.hpp"
#include "trainer/components.hpp"
#include "trainer/metric_collector.hpp"
#include "trainer/trainer_options.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace volt::host {

struct TrainerComponents {
  ModuleInstance module;
  DataModuleInstance data;
  StrategyInstance strategy;
  PrecisionInstance precision;
  std::vector<LoggerInstance> loggers;
  std::vector<CallbackInstance> callbacks;
};

// One optimizer with its scheduler, as configure_optimizers returned them.
struct OptimizerSlot {
  volt_optimizer* optimizer = nullptr;
  volt_lr_scheduler* scheduler = nullptr;
  int32_t interval = VOLT_INTERVAL_EPOCH;
  int32_t frequency = 1;
  std::string monitor;
};

class Trainer : public TrainerServices {
 public:
  // Seed first (seed_everything in trainer/seed.hpp), then create the components.
  Trainer(TrainerOptions options, TrainerComponents& components);
  ~Trainer() override;

  void fit();
  std::map<std::string, double> validate();
  std::map<std::string, double> test();
  // Returns the predictions of every batch, in order.
  std::vector<at::Tensor> predict();

  // Folder of the first logger ("" without loggers).
  const std::string& log_dir() const { return log_dir_; }
  int64_t global_step() const { return global_step_; }
  int64_t current_epoch() const { return current_epoch_; }
  std::map<std::string, double> callback_metrics() const { return metrics_.callback_metrics(); }

  // TrainerServices
  void log_metric(const volt_log_args& args) override;
  void fill_state(volt_trainer_state& out) const override;
  bool callback_metric(const std::string& name, double& out) const override;
  void request_stop(const std::string& reason) override;

 private:
  // --- setup and teardown (trainer.cpp) ---
  void setup(int32_t stage);
  void teardown(int32_t stage);
  void configure_optimizers();
  void log_hyperparameters();  // once per trainer
  void finalize_loggers(const char* status);
  void on_exception(const std::string& message);

  // --- hooks (trainer.cpp) ---
  void call_hook(int32_t hook, volt_hook_args args = {});
  void call_callbacks(int32_t hook, const volt_hook_args& args, bool monitoring);
  void call_module(int32_t hook, const volt_hook_args& args);
  volt_hook_args batch_args(const HostBatch& batch, int64_t batch_idx) const;

  // --- data (trainer.cpp) ---
  int64_t available_batches(int32_t split) const;
  void fetch_batch(int32_t split, int64_t epoch, int64_t index, HostBatch& out);
  void log_to_loggers(const ScalarRow& row, int64_t step);

  // --- loops (fit_loop.cpp, eval_loop.cpp) ---
  void run_training();
  void run_training_epoch();
  void run_training_batch(HostBatch& batch, int64_t batch_idx, bool is_last_batch);
  void optimizer_step(OptimizerSlot& slot);
  void clip_gradients(volt_optimizer* optimizer);
  void step_schedulers(int32_t interval);
  bool should_validate(int64_t batch_idx, bool is_last_batch) const;
  bool stop_requested_and_allowed() const;
  // Returns the epoch metrics the loop logged (empty for the sanity check).
  ScalarRow run_evaluation(int32_t stage, bool sanity);
  std::map<std::string, double> evaluate_stage(int32_t stage);
  std::vector<at::Tensor> run_prediction();

  TrainerOptions options_;
  TrainerComponents& c_;
  std::vector<volt_callback*> ordered_callbacks_;  // non-monitoring first, then monitoring
  std::vector<bool> callback_is_monitoring_;
  std::vector<OptimizerSlot> optimizers_;
  MetricCollector metrics_;
  ProgressBar train_bar_;  // Lightning's main bar
  ProgressBar eval_bar_;   // validation / test / predict bar
  volt_strategy_info info_{};
  std::string root_device_;
  std::string log_dir_;

  // Trainer state, as trainer_state() reports it.
  int32_t stage_ = VOLT_STAGE_FIT;
  int32_t hook_ = VOLT_HOOK_NONE;
  MetricScope scope_ = MetricScope::Train;
  bool sanity_checking_ = false;
  bool training_ = false;
  int64_t current_epoch_ = 0;
  int64_t global_step_ = 0;           // optimizer steps
  int64_t batches_that_stepped_ = 0;  // Lightning's _batches_that_stepped (logging step)
  int64_t current_batch_size_ = 1;
  int64_t num_train_batches_ = 0;
  bool should_stop_ = false;
  std::string stop_reason_;
  bool automatic_optimization_ = true;
  bool hparams_logged_ = false;
};

}  // namespace volt::host
