// The trainer: runs fit / validate / test / predict over plugin instances, calling hooks in
// Lightning's order. It is also the TrainerServices behind self.log and the trainer state.
#pragma once

#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/loop_state.hpp"
#include "trainer/components.hpp"
#include "trainer/implemented_hooks.hpp"
#include "trainer/metric_collector.hpp"
#include "trainer/boundary_vote.hpp"
#include "trainer/trainer_options.hpp"

#include <filesystem>
#include <functional>
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
  volt_optimizer* optimizer = nullptr;      // the module's tables, the `self` of calls
  volt_lr_scheduler* scheduler = nullptr;
  volt_optimizer optimizer_fns{};           // the same, completed to this host's ABI
  volt_lr_scheduler scheduler_fns{};
  int32_t interval = VOLT_INTERVAL_EPOCH;
  int32_t frequency = 1;
  std::string monitor;
  std::string name;  // lr_scheduler_config name, "" when unnamed
};

// Sets the trainer's current hook (self.log's rules, trainer_state) for a scope, and puts the
// previous one back also when the scope ends with an exception.
class HookScope {
 public:
  HookScope(int32_t& current, int32_t hook) : current_(current), previous_(current) { current = hook; }
  ~HookScope() { current_ = previous_; }
  HookScope(const HookScope&) = delete;
  HookScope& operator=(const HookScope&) = delete;

 private:
  int32_t& current_;
  int32_t previous_;
};

class Trainer : public TrainerServices {
 public:
  // Seed first (seed_everything in trainer/seed.hpp), then create the components.
  Trainer(TrainerOptions options, TrainerComponents& components);
  ~Trainer() override;

  // ckpt_path as Lightning's (a path, "last", "best"): fit restores the whole training state
  // from a Lightning checkpoint, or only the weights from a plain state_dict file; the other
  // stages load only the weights.
  void fit(const std::optional<std::string>& ckpt_path = std::nullopt);
  std::map<std::string, double> validate(const std::optional<std::string>& ckpt_path = std::nullopt);
  std::map<std::string, double> test(const std::optional<std::string>& ckpt_path = std::nullopt);
  // Returns the predictions of every batch, in order.
  std::vector<at::Tensor> predict(const std::optional<std::string>& ckpt_path = std::nullopt);

  // Folder of the first logger ("" without loggers).
  const std::string& log_dir() const { return log_dir_; }
  int32_t global_rank() const { return info_.global_rank; }
  int64_t global_step() const { return global_step_; }
  int64_t current_epoch() const { return current_epoch_; }
  std::map<std::string, double> callback_metrics() const { return metrics_.callback_metrics(); }

  // TrainerServices
  void log_metric(const volt_log_args& args) override;
  void fill_state(volt_trainer_state& out) const override;
  bool callback_metric(const std::string& name, double& out) const override;
  std::string progress_bar_metrics_json() const override;
  std::string callback_metrics_json() const override;
  void request_stop(const std::string& reason) override;
  void save_checkpoint(const std::string& path, bool weights_only) override;
  size_t optimizer_count() const override { return optimizers_.size(); }
  bool optimizer_info(size_t index, volt_optimizer_info& out) const override;
  void set_accumulate_grad_batches(int64_t n) override;
  volt_tensor* rank_reduce(volt_tensor* t, int32_t op) override;
  volt_tensor* rank_broadcast(volt_tensor* t, int32_t src) override;
  volt_tensor* rank_all_gather(volt_tensor* t) override;
  void rank_barrier(const std::string& name) override;

  // The checkpoint the default checkpointing wrote last ("" if none).
  const std::string& last_checkpoint() const { return last_default_checkpoint_; }

 private:
  // --- setup and teardown (trainer.cpp) ---
  void setup(int32_t stage);
  void teardown(int32_t stage);
  void configure_optimizers();
  void log_hyperparameters();  // once per trainer
  void finalize_loggers(const char* status);
  void on_exception(const std::string& message);
  // Rank 0's log folder on every rank (loggers exist on rank 0 only).
  void share_log_dir();

  // --- collectives over the strategy's ranks (rank_collectives.cpp); every rank calls each ---
  // Refuses a strategy that runs several processes without reduce, broadcast and barrier.
  void check_strategy_collectives() const;
  // The strategy's all-reduce of `v`; a new tensor (v itself for one process).
  at::Tensor reduce_over_ranks(const at::Tensor& v, int32_t op);
  at::Tensor broadcast_over_ranks(const at::Tensor& v, int32_t src);
  // Every rank's `v`, stacked along a new first dimension.
  at::Tensor all_gather_over_ranks(const at::Tensor& v);
  void barrier(const char* name);
  // Rank `src`'s bytes on every rank (the others pass anything).
  std::string broadcast_bytes(const std::string& bytes, int32_t src);

  // --- the strategy's own state (strategy_state.cpp) ---
  // Every rank's save_state, gathered; nothing when the strategy keeps none.
  std::optional<c10::IValue> gather_strategy_states();
  void restore_strategy_state(const CheckpointFile& ckpt);
  // Lightning's strategy.on_train_start / on_train_end (ABI 1.8; NULL: nothing to call).
  void call_strategy_hook(volt_error* (*hook)(volt_strategy*), const char* name);
  // Starts a sum of `counts` over the ranks for the step-boundary vote.
  std::unique_ptr<PendingSum> start_request_sum(const RequestCounts& counts);

  // --- hooks (trainer.cpp) ---
  void call_hook(int32_t hook, volt_hook_args args = {});
  void call_callbacks(int32_t hook, const volt_hook_args& args, bool monitoring);
  void call_module(int32_t hook, const volt_hook_args& args);
  // Whether a callback plugin with this id is configured (defaults it replaces are skipped).
  bool has_callback(const std::string& id) const;
  volt_hook_args batch_args(const HostBatch& batch, int64_t batch_idx) const;

  // --- checkpoints (checkpointing.cpp, resume.cpp) ---
  // `sharded`: this rank's part for a sharded checkpoint (ABI 1.6), else the gathered state.
  c10::impl::GenericDict dump_checkpoint(bool weights_only, bool sharded);
  bool saves_sharded() const;            // the strategy asks for sharded checkpoints
  int64_t sum_over_ranks(int64_t x);     // a collective: every rank calls it
  bool default_checkpointing() const;
  void save_default_checkpoint();
  std::optional<CheckpointFile> read_ckpt_path(const std::optional<std::string>& ckpt_path);
  void restore_weights(const CheckpointFile& ckpt);
  void restore_callbacks(const CheckpointFile& ckpt);
  void restore_training_state(const CheckpointFile& ckpt);
  void load_stage_weights(const std::optional<std::string>& ckpt_path);
  std::string precision_state_key() const;  // the precision plugin's checkpoint key
  std::filesystem::path root_dir() const;        // trainer.default_root_dir or the cwd
  std::filesystem::path checkpoint_dir() const;  // <log_dir or root>/checkpoints
  // --- requests at step boundaries (signal_checkpoints.cpp) ---
  // This rank's requests (BoundaryRequest flags): its stop, SIGUSR1, SIGINT/SIGTERM.
  uint32_t take_local_requests();
  // What every rank does with the requests the vote returned: stop; save an hpc checkpoint
  // (and requeue under SLURM); save interrupted.ckpt and throw Interrupted.
  void act_on_requests(uint32_t requests);

  // --- data (trainer.cpp) ---
  int64_t available_batches(int32_t split) const;
  void fetch_batch(int32_t split, int64_t epoch, int64_t index, HostBatch& out);
  // The strategy's step_begin / step_end (ABI 1.5; nothing for an older strategy).
  void strategy_step_begin(int32_t step);
  void strategy_step_end(int32_t step);
  void log_to_loggers(const ScalarRow& row, int64_t step);

  // --- loops (fit_loop.cpp, eval_loop.cpp) ---
  void run_training();
  void run_training_epoch();
  void run_training_batch(HostBatch& batch, int64_t batch_idx, bool is_last_batch);
  // What follows a batch's on_train_batch_end; returns true when the epoch must end early.
  bool finish_training_batch(int64_t batch_idx, bool is_last_batch);
  // What follows on_train_epoch_end: epoch metrics, epoch schedulers, epoch completed.
  void finish_training_epoch(bool restarting);
  void optimizer_step(OptimizerSlot& slot);
  void clip_gradients(volt_optimizer* optimizer, double clip_val, const std::string& algorithm);
  // --- the steps a module may replace (module_steps.cpp, ABI 1.10) ---
  // The module claims `hook` through implements_hook (never when that is NULL).
  bool module_replaces(int32_t hook) const;
  // A module-only hook, with hook_ set for self.log's rules while it runs.
  void call_module_hook(int32_t hook, volt_hook_args args);
  // The module's hook in place of `default_step`, which it may run through args.run_default.
  void call_replacing_hook(int32_t hook, volt_hook_args args,
                           const std::function<void()>& default_step);
  void zero_grad(size_t optimizer_idx, int64_t batch_idx);       // optimizer_zero_grad
  void step_optimizer(size_t optimizer_idx, int64_t batch_idx);  // optimizer_step
  void configure_gradient_clipping(size_t optimizer_idx);
  // on_before_batch_transfer, transfer_batch_to_device (the strategy's batch_to_device by
  // default), on_after_batch_transfer.
  void transfer_batch(HostBatch& batch);
  // --- checkpoint hooks (checkpoint_hooks.cpp, ABI 1.10) ---
  // The keys the callbacks' and then the module's on_save_checkpoint add to `checkpoint`.
  void add_checkpoint_keys(c10::impl::GenericDict& checkpoint, bool weights_only);
  // on_load_checkpoint of the module or of the callbacks, with the whole checkpoint.
  void call_load_checkpoint(const CheckpointFile& ckpt, bool callbacks);
  // Lightning steps ReduceLROnPlateau (schedulers with a monitor) apart from the others.
  enum class SchedulerKind { NonPlateau, Plateau };
  void step_schedulers(int32_t interval, SchedulerKind kind);
  bool should_validate(int64_t batch_idx, bool is_last_batch) const;
  void check_val_check_interval() const;
  bool stop_requested_and_allowed();
  // Returns the epoch metrics the loop logged (empty for the sanity check).
  ScalarRow run_evaluation(int32_t stage, bool sanity);
  std::map<std::string, double> evaluate_stage(int32_t stage,
                                               const std::optional<std::string>& ckpt_path);
  std::vector<at::Tensor> run_prediction();
  void stop_if_signalled() const;  // throws Interrupted outside fit after SIGINT/SIGTERM

  TrainerOptions options_;
  TrainerComponents& c_;
  struct OrderedCallback {
    const CallbackInstance* instance;
    bool monitoring;
    HookSet hooks;  // those it implements
  };
  std::vector<OrderedCallback> ordered_callbacks_;  // non-monitoring first, then monitoring
  HookSet module_hooks_;
  std::vector<OptimizerSlot> optimizers_;
  MetricCollector metrics_;
  volt_strategy_info info_{};
  std::string root_device_;
  std::string log_dir_;
  int64_t loop_batches_ = -1;  // batches of the running loop (volt_trainer_state::num_batches)

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
  int64_t num_val_batches_ = 0;  // per validation run, after limit_val_batches
  std::string ckpt_path_;        // the checkpoint this fit resumed from (trainer.ckpt_path)
  bool should_stop_ = false;
  bool min_not_met_reported_ = false;  // Lightning's "min_epochs ... has not been met" said once
  std::string stop_reason_;
  std::optional<BoundaryVote> vote_;  // while the training loop runs
  uint32_t local_requests_ = 0;       // this rank's requests not yet acted on
  bool automatic_optimization_ = true;
  bool hparams_logged_ = false;
  bool finalize_failed_ = false;  // a logger's finalize failed and the error is on its way

  // Checkpoint state: the loop counters saved in and restored from checkpoints, and where a
  // resumed fit continues.
  FitProgress progress_;
  struct ResumePoint {
    enum class Phase { None, MidEpoch, EpochEnd } phase = Phase::None;
    int64_t next_batch = 0;     // first batch to run in the resumed epoch
    int64_t finish_batch = -1;  // a batch whose step was done but not what follows it
  } resume_;
  std::string last_default_checkpoint_;
  int64_t last_default_checkpoint_step_ = 0;  // Lightning skips saving twice at one step
};

}  // namespace volt::host
