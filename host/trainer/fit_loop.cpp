// Trainer::fit and the training loop, in Lightning's hook order (see docs/hooks.md).
#include "trainer/trainer.hpp"

#include "checkpoint/ckpt_path.hpp"
#include "runtime/host_api.hpp"
#include "runtime/log.hpp"
#include "runtime/signals.hpp"
#include "trainer/interrupted.hpp"

#include <volt/sdk/core.hpp>
#include <volt/sdk/model_summary.hpp>

#include <torch/csrc/autograd/anomaly_mode.h>

namespace volt::host {

void Trainer::fit(const std::optional<std::string>& ckpt_path) {
  try {
    setup(VOLT_STAGE_FIT);
    // Lightning's restore order: weights and callbacks before configure_optimizers, the rest
    // (loops, optimizers, schedulers) after on_fit_start. A plain state_dict file only
    // initialises the weights: the run then starts from scratch.
    // Lightning's auto-resume: under SLURM an existing hpc checkpoint is the default.
    std::optional<std::string> path = ckpt_path;
    if (!path && !slurm_job_id().empty() && find_hpc_checkpoint(root_dir())) path = "hpc";
    std::optional<CheckpointFile> ckpt = read_ckpt_path(path);
    bool resuming = ckpt && ckpt->kind == CheckpointFile::Kind::Lightning;
    if (resuming) ckpt_path_ = std::filesystem::absolute(ckpt->path).lexically_normal().string();
    num_val_batches_ = options_.limit_val_batches.apply(available_batches(VOLT_SPLIT_VALIDATION));
    if (ckpt) restore_weights(*ckpt);
    if (resuming) restore_callbacks(*ckpt);
    configure_optimizers();
    if (options_.enable_model_summary && info_.global_rank == 0 && !has_callback("model_summary"))
      volt::print_model_summary(c_.module.get(), 1, stdout);
    log_hyperparameters();
    call_hook(VOLT_HOOK_ON_FIT_START);
    if (resuming) restore_training_state(*ckpt);
    else if (ckpt) log::info("Initialised the model weights from ", ckpt->name());
    ckpt.reset();  // the file's tensors are no longer needed
    for (auto& slot : optimizers_)
      c_.module.check(slot.optimizer->zero_grad(slot.optimizer, true), "zero_grad");
    // Lightning skips the sanity check when restarting mid-epoch; from an end-of-epoch
    // checkpoint it runs it again.
    bool restarting_mid_epoch = resuming && resume_.phase != ResumePoint::Phase::EpochEnd;
    if (!restarting_mid_epoch && options_.num_sanity_val_steps != 0 && num_val_batches_ > 0) {
      sanity_checking_ = true;
      call_hook(VOLT_HOOK_ON_SANITY_CHECK_START);
      run_evaluation(VOLT_STAGE_VALIDATE, true);
      call_hook(VOLT_HOOK_ON_SANITY_CHECK_END);
      sanity_checking_ = false;
    }
    {
      // Lightning's detect_anomaly: autograd names the forward op of a backward that made NaN.
      std::optional<torch::autograd::DetectAnomalyGuard> anomaly;
      if (options_.detect_anomaly) anomaly.emplace();
      run_training();
    }
    call_hook(VOLT_HOOK_ON_FIT_END);
    teardown(VOLT_STAGE_FIT);
    finalize_loggers(cancel_flag().load() ? "interrupted" : "success");
  } catch (const Interrupted& e) {
    on_exception(e.what());
    finalize_loggers("interrupted");
    throw;
  } catch (const std::exception& e) {
    on_exception(e.what());
    finalize_loggers("failed");
    throw;
  }
}

bool Trainer::stop_requested_and_allowed() {
  if (!should_stop_) return false;
  // min_epochs / min_steps keep training despite a stop request (Lightning's _can_stop_early:
  // epochs processed, which current_epoch_ counts both inside an epoch and after its end).
  if (current_epoch_ >= options_.min_epochs && global_step_ >= options_.min_steps) return true;
  if (!min_not_met_reported_) {
    min_not_met_reported_ = true;
    log::info("Trainer was signaled to stop but the required `min_epochs=", options_.min_epochs,
              "` or `min_steps=", options_.min_steps, "` has not been met. Training will continue...");
  }
  return false;
}

void Trainer::run_training() {
  training_ = true;
  vote_.emplace(info_.world_size, [this](const RequestCounts& c) { return start_request_sum(c); });
  // A vote still in flight is given up when training ends, also by an exception, before the
  // strategy's teardown.
  struct EndVote {
    std::optional<BoundaryVote>& vote;
    ~EndVote() { vote.reset(); }
  } end_vote{vote_};
  call_hook(VOLT_HOOK_ON_TRAIN_START);
  call_strategy_hook(c_.strategy->on_train_start, "on_train_start");  // Lightning: after callbacks and the module
  bool stop = false;
  if (resume_.phase == ResumePoint::Phase::EpochEnd) {
    // Saved in on_train_epoch_end: only what follows that hook is left of the epoch.
    resume_.phase = ResumePoint::Phase::None;
    finish_training_epoch(true);
    ++current_epoch_;
    stop = stop_requested_and_allowed();
  }
  while (!stop && (options_.max_epochs < 0 || current_epoch_ < options_.max_epochs)) {
    if (options_.max_steps >= 0 && global_step_ >= options_.max_steps) break;
    run_training_epoch();
    ++current_epoch_;
    // Epoch-end hooks may have asked on one rank; a step-boundary vote in flight counts too
    // (every rank drains it, whatever it asks). Checkpoints that signals asked for wait for the
    // next step boundary: this point is not one that a checkpoint resumes from.
    uint32_t requests = vote_->settle(take_local_requests());
    local_requests_ = requests & kRequestHpcCheckpoint;
    should_stop_ = (requests & kRequestStop) != 0;
    if ((requests & kRequestInterrupt) != 0 || stop_requested_and_allowed()) break;
  }
  if (should_stop_ && !stop_reason_.empty()) log::info("Training stopped: ", stop_reason_);
  call_hook(VOLT_HOOK_ON_TRAIN_END);
  call_strategy_hook(c_.strategy->on_train_end, "on_train_end");
  training_ = false;
}

// Lightning's _should_check_val_fx. An integer interval counts batches of the epoch, or of the
// whole fit with check_val_every_n_epoch=None (total_batch_idx).
bool Trainer::should_validate(int64_t batch_idx, bool is_last_batch) const {
  if (options_.check_val_every_n_epoch &&
      (current_epoch_ + 1) % *options_.check_val_every_n_epoch != 0)
    return false;
  const BatchLimit& every = options_.val_check_interval;
  if (every.is_fraction) {
    if (every.fraction >= 1.0) return is_last_batch;
    int64_t n = std::max<int64_t>(1, static_cast<int64_t>(num_train_batches_ * every.fraction));
    return (batch_idx + 1) % n == 0;
  }
  int64_t iteration = options_.check_val_every_n_epoch ? batch_idx : progress_.batch.total.ready - 1;
  return every.count > 0 && (iteration + 1) % every.count == 0;
}

// Lightning's checks of fit_loop.setup_data, once the epoch's batch count is known.
void Trainer::check_val_check_interval() const {
  const BatchLimit& every = options_.val_check_interval;
  if (every.is_fraction || !options_.check_val_every_n_epoch || every.count <= num_train_batches_)
    return;
  throw Error(VOLT_ERROR_INVALID_ARGUMENT,
              "`val_check_interval` (" + std::to_string(every.count) +
                  ") must be less than or equal to the number of the training batches (" +
                  std::to_string(num_train_batches_) +
                  "). If you want to disable validation set `limit_val_batches` to 0.0 instead. "
                  "If you want to validate based on the total training batches, set "
                  "`check_val_every_n_epoch=None`.");
}

void Trainer::run_training_epoch() {
  num_train_batches_ = options_.limit_train_batches.apply(available_batches(VOLT_SPLIT_TRAIN));
  num_val_batches_ = options_.limit_val_batches.apply(available_batches(VOLT_SPLIT_VALIDATION));
  if (num_val_batches_ > 0 && num_train_batches_ > 0) check_val_check_interval();
  c_.module.check(c_.module->set_training(c_.module.get(), true), "train");
  scope_ = MetricScope::Train;
  loop_batches_ = num_train_batches_;
  // A resumed epoch continues from its saved batch position; the data order is a function of
  // (seed, epoch), so the remaining batches are exactly those the saved run would have seen.
  bool resumed = resume_.phase == ResumePoint::Phase::MidEpoch;
  int64_t first = resumed ? resume_.next_batch : 0;
  resume_.phase = ResumePoint::Phase::None;
  if (!resumed) {
    ++progress_.epoch.total.ready, ++progress_.epoch.total.started;
    progress_.epoch.current = progress_.epoch.total;
    progress_.batch.current = {};
    progress_.validated_batch = -1;
  }
  call_hook(VOLT_HOOK_ON_TRAIN_EPOCH_START);
  bool stop = false;
  if (resumed && resume_.finish_batch >= 0) {
    int64_t i = resume_.finish_batch;
    stop = finish_training_batch(i, i + 1 == num_train_batches_);
  }
  resume_.finish_batch = -1;
  HostBatch batch;
  for (int64_t i = first; i < num_train_batches_ && !stop; ++i) {
    bool is_last = i + 1 == num_train_batches_;
    ++progress_.batch.total.ready, ++progress_.batch.current.ready;
    progress_.is_last_batch = is_last;
    fetch_batch(VOLT_SPLIT_TRAIN, options_.overfit ? 0 : current_epoch_, i, batch);
    run_training_batch(batch, i, is_last);
    stop = finish_training_batch(i, is_last);
  }
  scope_ = MetricScope::Train;
  ++progress_.epoch.total.processed;
  progress_.epoch.current = progress_.epoch.total;
  // Lightning's epoch_end_reached: from here on, the epoch values of what training logged are
  // the callback metrics (also those logged in on_train_epoch_end), so monitoring callbacks
  // see them in on_train_epoch_end.
  metrics_.epoch_end_reached(MetricScope::Train);
  call_hook(VOLT_HOOK_ON_TRAIN_EPOCH_END);
  // Lightning's default ModelCheckpoint is a monitoring callback: it saves at the end of
  // on_train_epoch_end, after the epoch's schedulers stepped and before plateau schedulers do.
  save_default_checkpoint();
  finish_training_epoch(false);
}

bool Trainer::finish_training_batch(int64_t batch_idx, bool is_last_batch) {
  bool stepped = (batch_idx + 1) % options_.accumulate_grad_batches == 0 || is_last_batch;
  if (num_val_batches_ > 0 && should_validate(batch_idx, is_last_batch) &&
      progress_.validated_batch != batch_idx) {
    progress_.validated_batch = batch_idx;
    // Lightning frees the gradients before validating, unless a window is being accumulated.
    if (stepped) call_hook(VOLT_HOOK_ON_VALIDATION_MODEL_ZERO_GRAD);
    run_evaluation(VOLT_STAGE_VALIDATE, false);
    scope_ = MetricScope::Train;
    c_.module.check(c_.module->set_training(c_.module.get(), true), "train");
  }
  if (stepped) ++batches_that_stepped_;
  progress_.batch.total.completed = progress_.batch.total.processed;
  progress_.batch.current.completed = progress_.batch.current.processed;
  // Every rank stops, checkpoints or is interrupted at the same step (a rank alone would leave
  // the others waiting in a collective), agreed without making each step wait
  // (trainer/boundary_vote.hpp).
  uint32_t requests = vote_->at_step_boundary(take_local_requests());
  local_requests_ &= ~requests;
  should_stop_ = (requests & kRequestStop) != 0;
  act_on_requests(requests);
  if (options_.max_steps >= 0 && global_step_ >= options_.max_steps) return true;
  return stop_requested_and_allowed();
}

void Trainer::finish_training_epoch(bool restarting) {
  // Plateau schedulers step here, after the monitoring callbacks, on an epoch that ran all its
  // batches (the others stepped with the last batch). A restart has no epoch metrics, so they
  // wait for the next epoch (Lightning's update_plateau_schedulers=not restarting).
  if (!restarting && progress_.batch.current.ready >= num_train_batches_)
    step_schedulers(VOLT_INTERVAL_EPOCH, SchedulerKind::Plateau);
  // Lightning logs epoch metrics at the step of the epoch's last batch (FitLoop decrements
  // _batches_that_stepped around update_train_epoch_metrics).
  log_to_loggers(metrics_.finish_epoch(MetricScope::Train),
                 std::max<int64_t>(0, batches_that_stepped_ - 1));
  ++progress_.epoch.total.completed;
  progress_.epoch.current = progress_.epoch.total;
}

void Trainer::run_training_batch(HostBatch& batch, int64_t batch_idx, bool is_last_batch) {
  volt_hook_args args = batch_args(batch, batch_idx);
  call_hook(VOLT_HOOK_ON_TRAIN_BATCH_START, args);
  ++progress_.batch.total.started, ++progress_.batch.current.started;

  volt_step_args step{};
  step.struct_size = volt::abi_size(&step);
  step.step = VOLT_STEP_TRAINING;
  step.batch = batch.data();
  step.batch_len = batch.size();
  step.batch_idx = batch_idx;
  volt_step_result result{};
  result.struct_size = volt::abi_size(&result);

  int64_t accumulate = options_.accumulate_grad_batches;
  bool first_of_window = batch_idx % accumulate == 0;
  bool should_step = (batch_idx + 1) % accumulate == 0 || is_last_batch;

  // The strategy gathers inside the precision's forward context (it sees autocast's dtype).
  c_.precision.check(c_.precision->forward_begin(c_.precision.get()), "forward_begin");
  strategy_step_begin(VOLT_STEP_TRAINING);
  hook_ = VOLT_HOOK_TRAINING_STEP;
  volt_error* step_error = c_.module->step(c_.module.get(), &step, &result);
  hook_ = VOLT_HOOK_NONE;
  c_.precision.check(c_.precision->forward_end(c_.precision.get()), "forward_end");
  c_.module.check(step_error, "training_step");

  // The step's output, owned here; released at the end of the batch.
  struct Output {
    volt_tensor* handle = nullptr;
    ~Output() { volt::release_ref(handle); }
  } output{result.output};
  if (result.prediction != nullptr && result.prediction->deleter != nullptr)
    result.prediction->deleter(result.prediction);

  if (automatic_optimization_) {
    if (output.handle == nullptr)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  c_.module.label() + ": training_step returned no loss (automatic optimization "
                                      "needs one; return the loss tensor)");
    at::Tensor loss = volt::unwrap(output.handle);
    if (accumulate > 1) {
      loss = loss / static_cast<double>(accumulate);
      // Lightning's batch-end outputs hold the normalised loss (ClosureResult).
      at::Tensor& held = volt::unwrap(output.handle);
      held = loss.detach();
    }
    for (size_t k = 0; k < optimizers_.size(); ++k) {
      if (!first_of_window) break;
      volt_hook_args z{};
      z.optimizer_idx = static_cast<int32_t>(k);
      call_hook(VOLT_HOOK_ON_BEFORE_ZERO_GRAD, z);
      ++progress_.zero_grad.total.ready, ++progress_.zero_grad.total.started;
      zero_grad(k, batch_idx);
      ++progress_.zero_grad.total.completed;
    }
    volt_hook_args b{};
    b.loss = volt::borrow(loss);
    call_hook(VOLT_HOOK_ON_BEFORE_BACKWARD, b);
    volt_tensor* scaled = nullptr;
    c_.precision.check(c_.precision->pre_backward(c_.precision.get(), volt::borrow(loss), &scaled),
                       "pre_backward");
    // The strategy runs the module's backward hook when it has one (self.log's rules).
    hook_ = VOLT_HOOK_BACKWARD;
    volt_error* err = c_.strategy->backward(c_.strategy.get(), c_.module.get(), scaled, should_step);
    hook_ = VOLT_HOOK_NONE;
    volt::release_ref(scaled);
    c_.strategy.check(err, "backward");
    call_hook(VOLT_HOOK_ON_AFTER_BACKWARD);
    if (should_step) {
      for (size_t k = 0; k < optimizers_.size(); ++k) step_optimizer(k, batch_idx);
      // Lightning's update_lr_schedulers("step"): after the optimizers, every `frequency`
      // batches of the epoch (batch_idx + 1), on batches that stepped.
      for (auto& slot : optimizers_)
        if (slot.scheduler != nullptr && slot.interval == VOLT_INTERVAL_STEP &&
            (batch_idx + 1) % slot.frequency == 0)
          c_.module.check(slot.scheduler->step(slot.scheduler, false, 0.0), "lr_scheduler.step");
    }
    // Lightning steps the epoch's non-plateau schedulers with its last batch, before the
    // validation and the checkpoints of the epoch's end (so those hold the stepped state).
    if (is_last_batch) step_schedulers(VOLT_INTERVAL_EPOCH, SchedulerKind::NonPlateau);
  }
  strategy_step_end(VOLT_STEP_TRAINING);
  // The step is done: a checkpoint from here on resumes with the next batch.
  ++progress_.batch.total.processed, ++progress_.batch.current.processed;

  volt_hook_args end = batch_args(batch, batch_idx);
  end.outputs = output.handle;
  call_hook(VOLT_HOOK_ON_TRAIN_BATCH_END, end);

  // Lightning: step metrics reach loggers every log_every_n_steps optimizer steps.
  int64_t n = batches_that_stepped_ + 1;
  bool log_now = should_step && options_.log_every_n_steps > 0 && n % options_.log_every_n_steps == 0;
  if (log_now || should_stop_) log_to_loggers(metrics_.take_step_metrics(MetricScope::Train),
                                              batches_that_stepped_);
}

void Trainer::optimizer_step(OptimizerSlot& slot) {
  bool skip = false;
  c_.precision.check(
      c_.precision->before_optimizer_step(c_.precision.get(), slot.optimizer, &skip),
      "before_optimizer_step");
  volt_hook_args a{};
  a.optimizer_idx = static_cast<int32_t>(&slot - optimizers_.data());
  call_hook(VOLT_HOOK_ON_BEFORE_OPTIMIZER_STEP, a);
  configure_gradient_clipping(static_cast<size_t>(a.optimizer_idx));
  ++progress_.optimizer_step.total.ready;
  if (!skip)
    c_.strategy.check(c_.strategy->optimizer_step(c_.strategy.get(), c_.module.get(), slot.optimizer),
                      "optimizer_step");
  c_.precision.check(c_.precision->after_optimizer_step(c_.precision.get(), slot.optimizer),
                     "after_optimizer_step");
  ++global_step_;
  ++progress_.optimizer_step.total.completed;
  progress_.optimizer_step.current = progress_.optimizer_step.total;
}

void Trainer::step_schedulers(int32_t interval, SchedulerKind kind) {
  // Lightning: with manual optimization the module steps its schedulers itself.
  if (!automatic_optimization_) return;
  for (auto& slot : optimizers_) {
    if (slot.scheduler == nullptr || slot.interval != interval) continue;
    if (slot.monitor.empty() != (kind == SchedulerKind::NonPlateau)) continue;
    if ((current_epoch_ + 1) % slot.frequency != 0) continue;
    double metric = 0;
    bool has = !slot.monitor.empty() && metrics_.callback_metric(slot.monitor, metric);
    if (!slot.monitor.empty() && !has) {
      std::string available;
      for (const auto& [name, value] : metrics_.callback_metrics())
        available += (available.empty() ? "" : ", ") + name;
      throw Error(VOLT_ERROR_NOT_FOUND,
                  "ReduceLROnPlateau conditioned on metric " + slot.monitor +
                      " which is not available. Available metrics are: [" + available +
                      "]. Condition can be set using `monitor` key in lr scheduler dict");
    }
    c_.module.check(slot.scheduler->step(slot.scheduler, has, metric), "lr_scheduler.step");
  }
}

}  // namespace volt::host
