#include "trainer/trainer.hpp"

#include "checkpoint/ckpt_path.hpp"
#include "console/tables.hpp"
#include "runtime/log.hpp"
#include "runtime/signals.hpp"
#include "trainer/interrupted.hpp"

#include <volt/sdk/core.hpp>
#include <volt/sdk/model_summary.hpp>

#include <torch/csrc/autograd/anomaly_mode.h>

#include <filesystem>

namespace volt::host {

Trainer::Trainer(TrainerOptions options, TrainerComponents& components)
    : t_(std::move(options), components) {
  const TrainerOptions& o = t_.options;
  TrainerComponents& c = t_.c;
  if (o.deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  if (o.benchmark) at::globalContext().setBenchmarkCuDNN(*o.benchmark);
  // Every plugin's context now answers self.log and trainer-state queries through us.
  auto attach = [this](volt_host_context* ctx) { ctx->services = this; };
  attach(c.module.context());
  attach(c.data.context());
  attach(c.strategy.context());
  attach(c.precision.context());
  for (auto& l : c.loggers) attach(l.context());
  for (auto& cb : c.callbacks) attach(cb.context());
  // The strategy gets the detected cluster environment and answers with the ranks it runs.
  const ClusterEnvironment& cluster = o.cluster;
  volt_strategy_info& info = t_.info;
  info.struct_size = volt::abi_size(&info);
  info.global_rank = static_cast<int32_t>(cluster.global_rank);
  info.local_rank = static_cast<int32_t>(cluster.local_rank);
  info.node_rank = static_cast<int32_t>(cluster.node_rank);
  info.world_size = static_cast<int32_t>(cluster.world_size);
  info.num_nodes = static_cast<int32_t>(o.num_nodes);
  info.local_world_size = static_cast<int32_t>(o.local_world_size);
  info.main_address = cluster.main_address.c_str();
  info.main_port = cluster.main_port;
  info.environment = cluster.kind.c_str();
  info.accelerator = o.accelerator_kind.c_str();
  c.strategy.check(c.strategy->setup_environment(c.strategy.get(), &info), "setup_environment");
  t_.root_device = info.root_device != nullptr ? info.root_device : "cpu";
  t_.ranks.check_strategy();
  if (cluster.world_size > 1 && info.world_size == 1)
    log::warning("the strategy runs this process alone although the ", cluster.kind,
                 " environment says world size ", cluster.world_size,
                 ": every process trains on its own (use --strategy=ddp)");
  if (!c.loggers.empty()) {
    const char* dir = c.loggers.front()->log_dir(c.loggers.front().get());
    if (dir != nullptr) t_.log_dir = dir;
  }
  // Rank 0's log folder on every rank (loggers exist on rank 0 only).
  if (info.world_size > 1) t_.log_dir = t_.ranks.broadcast_bytes(t_.log_dir, 0);
  auto automatic = c.module->automatic_optimization;
  t_.automatic_optimization = automatic == nullptr || automatic(c.module.get());
}

// --- stages ---------------------------------------------------------------------------------

void Trainer::run_stage(bool fit, const std::function<void()>& body) {
  try {
    body();
    t_.logging.finalize_loggers(fit && cancel_flag().load() ? "interrupted" : "success");
  } catch (const Interrupted& e) {
    t_.hooks.on_exception(e.what());
    t_.logging.finalize_loggers("interrupted");
    throw;
  } catch (const std::exception& e) {
    t_.hooks.on_exception(e.what());
    t_.logging.finalize_loggers("failed");
    throw;
  }
}

void Trainer::fit(const std::optional<std::string>& ckpt_path) {
  run_stage(true, [&] { run_fit(ckpt_path); });
}

void Trainer::run_fit(const std::optional<std::string>& ckpt_path) {
  RunState& s = t_.state;
  CheckpointConnector& checkpoints = t_.checkpoints;
  setup(VOLT_STAGE_FIT);
  // Lightning's restore order: weights and callbacks before configure_optimizers, the rest
  // (loops, optimizers, schedulers) after on_fit_start. A plain state_dict file only
  // initialises the weights: the run then starts from scratch.
  // Lightning's auto-resume: under SLURM an existing hpc checkpoint is the default.
  std::optional<std::string> path = ckpt_path;
  if (!path && !slurm_job_id().empty() && find_hpc_checkpoint(checkpoints.root_dir())) path = "hpc";
  std::optional<CheckpointFile> ckpt = checkpoints.read_ckpt_path(path);
  bool resuming = ckpt && ckpt->kind == CheckpointFile::Kind::Lightning;
  if (resuming) s.ckpt_path = std::filesystem::absolute(ckpt->path).lexically_normal().string();
  s.num_val_batches =
      t_.options.limit_val_batches.apply(t_.data.available_batches(VOLT_SPLIT_VALIDATION));
  if (ckpt) checkpoints.restore_weights(*ckpt);
  if (resuming) checkpoints.restore_callbacks(*ckpt);
  t_.optimizers.configure();
  if (t_.options.enable_model_summary && t_.info.global_rank == 0 &&
      !t_.hooks.has_callback("model_summary"))
    volt::print_model_summary(t_.c.module.get(), 1, stdout);
  t_.logging.log_hyperparameters();
  t_.hooks.call(VOLT_HOOK_ON_FIT_START);
  if (resuming) checkpoints.restore_training_state(*ckpt);
  else if (ckpt) log::info("Initialised the model weights from ", ckpt->name());
  ckpt.reset();  // the file's tensors are no longer needed
  for (auto& slot : t_.optimizers.slots())
    t_.c.module.check(slot.optimizer->zero_grad(slot.optimizer, true), "zero_grad");
  // Lightning skips the sanity check when restarting, except from an end-of-epoch checkpoint.
  if (!resuming || t_.fit_loop.resumes_at_epoch_end()) run_sanity_check();
  {
    // Lightning's detect_anomaly: autograd names the forward op of a backward that made NaN.
    std::optional<torch::autograd::DetectAnomalyGuard> anomaly;
    if (t_.options.detect_anomaly) anomaly.emplace();
    t_.fit_loop.run();
  }
  t_.hooks.call(VOLT_HOOK_ON_FIT_END);
  teardown(VOLT_STAGE_FIT);
}

void Trainer::run_sanity_check() {
  if (t_.options.num_sanity_val_steps == 0 || t_.state.num_val_batches <= 0) return;
  ScopedValue<bool> sanity(t_.state.sanity_checking, true);
  t_.hooks.call(VOLT_HOOK_ON_SANITY_CHECK_START);
  t_.evaluation_loop.run(VOLT_STAGE_VALIDATE, true);
  t_.hooks.call(VOLT_HOOK_ON_SANITY_CHECK_END);
}

std::map<std::string, double> Trainer::validate(const std::optional<std::string>& ckpt_path) {
  return evaluate_stage(VOLT_STAGE_VALIDATE, ckpt_path);
}

std::map<std::string, double> Trainer::test(const std::optional<std::string>& ckpt_path) {
  return evaluate_stage(VOLT_STAGE_TEST, ckpt_path);
}

std::map<std::string, double> Trainer::evaluate_stage(int32_t stage,
                                                      const std::optional<std::string>& ckpt_path) {
  ScalarRow logged;
  run_stage(false, [&] {
    setup(stage);  // per stage, as Lightning (also after fit with --test-after-fit)
    t_.checkpoints.load_stage_weights(ckpt_path);
    t_.logging.log_hyperparameters();
    logged = t_.evaluation_loop.run(stage, false);
    teardown(stage);
  });
  // Lightning's results table: what this loop logged at epoch level.
  std::map<std::string, double> results(logged.begin(), logged.end());
  if (t_.info.global_rank == 0)
    print_metrics_table(stage == VOLT_STAGE_TEST ? "Test metric" : "Validate metric", results,
                        stdout);
  return results;
}

std::vector<at::Tensor> Trainer::predict(const std::optional<std::string>& ckpt_path) {
  std::vector<at::Tensor> out;
  run_stage(false, [&] {
    setup(VOLT_STAGE_PREDICT);
    t_.checkpoints.load_stage_weights(ckpt_path);
    out = t_.prediction_loop.run();
    teardown(VOLT_STAGE_PREDICT);
  });
  return out;
}

void Trainer::setup(int32_t stage) {
  t_.state.stage = stage;
  TrainerComponents& c = t_.c;
  auto prepare = c.data->prepare_data;
  if (prepare != nullptr) c.data.check(prepare(c.data.get()), "prepare_data");
  t_.hooks.call_module_hook(VOLT_HOOK_PREPARE_DATA, {});  // Lightning: the datamodule's, then the module's
  auto data_setup = c.data->setup;
  if (data_setup != nullptr) c.data.check(data_setup(c.data.get(), stage), "setup");
  t_.hooks.call(VOLT_HOOK_SETUP);
  t_.hooks.call_module_hook(VOLT_HOOK_CONFIGURE_MODEL, {});
  c.strategy.check(c.strategy->setup_module(c.strategy.get(), c.module.get()), "setup_module");
  c.precision.check(c.precision->convert_module(c.precision.get(), c.module.get()),
                    "convert_module");
}

void Trainer::teardown(int32_t stage) {
  t_.state.stage = stage;
  t_.hooks.call(VOLT_HOOK_TEARDOWN);
  auto fn = t_.c.strategy->teardown;
  if (fn != nullptr) t_.c.strategy.check(fn(t_.c.strategy.get()), "teardown");
}

// --- services -------------------------------------------------------------------------------

void Trainer::fill_state(volt_trainer_state& out) const {
  const RunState& s = t_.state;
  const TrainerOptions& o = t_.options;
  out.stage = s.stage;
  out.hook = s.hook;
  out.sanity_checking = s.sanity_checking;
  out.training = s.training;
  out.current_epoch = s.current_epoch;
  out.global_step = s.global_step;
  out.max_epochs = o.max_epochs;
  out.max_steps = o.max_steps;
  out.global_rank = t_.info.global_rank;
  out.local_rank = t_.info.local_rank;
  out.node_rank = t_.info.node_rank;
  out.world_size = t_.info.world_size;
  out.log_dir = t_.log_dir.empty() ? nullptr : t_.log_dir.c_str();
  out.root_dir = o.default_root_dir.c_str();
  out.num_batches = s.loop_batches;
  out.num_val_batches = s.num_val_batches;
  out.check_val_every_n_epoch = o.check_val_every_n_epoch.value_or(0);
  const BatchLimit& every = o.val_check_interval;
  out.val_check_interval = every.is_fraction ? every.fraction : static_cast<double>(every.count);
  out.ckpt_path = s.ckpt_path.empty() ? nullptr : s.ckpt_path.c_str();
}

void Trainer::set_accumulate_grad_batches(int64_t n) {
  if (n < 1)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "accumulate_grad_batches must be >= 1, got " + std::to_string(n));
  if (t_.state.hook != VOLT_HOOK_ON_TRAIN_EPOCH_START)
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                "accumulate_grad_batches can only change in on_train_epoch_start");
  t_.options.accumulate_grad_batches = n;
}

volt_tensor* Trainer::rank_reduce(volt_tensor* t, int32_t op) {
  if (op < VOLT_REDUCE_MEAN || op > VOLT_REDUCE_MIN)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, "reduce: unknown operation " + std::to_string(op));
  return volt::new_ref(t_.ranks.reduce(volt::unwrap(t).detach().to(t_.root_device), op));
}

volt_tensor* Trainer::rank_broadcast(volt_tensor* t, int32_t src) {
  return volt::new_ref(t_.ranks.broadcast(volt::unwrap(t).detach().to(t_.root_device), src));
}

volt_tensor* Trainer::rank_all_gather(volt_tensor* t) {
  return volt::new_ref(t_.ranks.all_gather(volt::unwrap(t).detach().to(t_.root_device)));
}

}  // namespace volt::host
