#include "trainer/loops/training_epoch_loop.hpp"

#include "trainer/loops/fit_loop.hpp"
#include "trainer/loops/module_step.hpp"
#include "trainer/trainer_parts.hpp"

#include <volt/sdk/core.hpp>

#include <algorithm>

namespace volt::host {

void TrainingEpochLoop::run(const Start& start) {
  RunState& s = t_.state;
  s.num_train_batches = t_.options.limit_train_batches.apply(t_.data.available_batches(VOLT_SPLIT_TRAIN));
  s.num_val_batches = t_.options.limit_val_batches.apply(t_.data.available_batches(VOLT_SPLIT_VALIDATION));
  if (s.num_val_batches > 0 && s.num_train_batches > 0) check_val_check_interval();
  t_.c.module.check(t_.c.module->set_training(t_.c.module.get(), true), "train");
  s.scope = MetricScope::Train;
  s.loop_batches = s.num_train_batches;
  if (!start.resumed) {
    ++progress_.epoch.total.ready, ++progress_.epoch.total.started;
    progress_.epoch.current = progress_.epoch.total;
    progress_.batch.current = {};
    progress_.validated_batch = -1;
  }
  t_.hooks.call(VOLT_HOOK_ON_TRAIN_EPOCH_START);
  bool stop = false;
  if (start.resumed && start.finish_batch >= 0) {
    int64_t i = start.finish_batch;
    stop = finish_batch(i, i + 1 == s.num_train_batches);
  }
  // A resumed epoch continues from its saved batch position; the data order is a function of
  // (seed, epoch), so the remaining batches are exactly those the saved run would have seen.
  HostBatch batch;
  for (int64_t i = start.resumed ? start.first_batch : 0; i < s.num_train_batches && !stop; ++i) {
    bool is_last = i + 1 == s.num_train_batches;
    ++progress_.batch.total.ready, ++progress_.batch.current.ready;
    progress_.is_last_batch = is_last;
    t_.data.fetch_batch(VOLT_SPLIT_TRAIN, t_.options.overfit ? 0 : s.current_epoch, i, batch);
    run_batch(batch, i, is_last);
    stop = finish_batch(i, is_last);
  }
  ++progress_.epoch.total.processed;
  progress_.epoch.current = progress_.epoch.total;
  // Lightning's epoch_end_reached: from here on, the epoch values of what training logged are
  // the callback metrics (also those logged in on_train_epoch_end), so monitoring callbacks
  // see them in on_train_epoch_end.
  t_.logging.metrics().epoch_end_reached(MetricScope::Train);
  t_.hooks.call(VOLT_HOOK_ON_TRAIN_EPOCH_END);
  // Lightning's default ModelCheckpoint is a monitoring callback: it saves at the end of
  // on_train_epoch_end, after the epoch's schedulers stepped and before plateau schedulers do.
  t_.checkpoints.save_default_checkpoint();
  finish_epoch(false);
}

void TrainingEpochLoop::run_batch(HostBatch& batch, int64_t batch_idx, bool is_last_batch) {
  t_.hooks.call(VOLT_HOOK_ON_TRAIN_BATCH_START, batch.hook_args(batch_idx));
  ++progress_.batch.total.started, ++progress_.batch.current.started;
  ModuleStep step(t_, VOLT_STEP_TRAINING, batch, batch_idx);
  if (t_.automatic_optimization) automatic_.run(step, batch_idx, is_last_batch);
  step.end();
  // The step is done: a checkpoint from here on resumes with the next batch.
  ++progress_.batch.total.processed, ++progress_.batch.current.processed;

  volt_hook_args end = batch.hook_args(batch_idx);
  end.outputs = step.output();
  t_.hooks.call(VOLT_HOOK_ON_TRAIN_BATCH_END, end);

  // Lightning: step metrics reach loggers every log_every_n_steps optimizer steps.
  RunState& s = t_.state;
  bool should_step = (batch_idx + 1) % t_.options.accumulate_grad_batches == 0 || is_last_batch;
  int64_t n = s.batches_that_stepped + 1;
  int64_t every = t_.options.log_every_n_steps;
  bool log_now = should_step && every > 0 && n % every == 0;
  if (log_now || s.should_stop)
    t_.logging.log_to_loggers(t_.logging.metrics().take_step_metrics(MetricScope::Train),
                              s.batches_that_stepped);
}

bool TrainingEpochLoop::finish_batch(int64_t batch_idx, bool is_last_batch) {
  RunState& s = t_.state;
  bool stepped = (batch_idx + 1) % t_.options.accumulate_grad_batches == 0 || is_last_batch;
  if (s.num_val_batches > 0 && should_validate(batch_idx, is_last_batch) &&
      progress_.validated_batch != batch_idx) {
    progress_.validated_batch = batch_idx;
    // Lightning frees the gradients before validating, unless a window is being accumulated.
    if (stepped) t_.hooks.call(VOLT_HOOK_ON_VALIDATION_MODEL_ZERO_GRAD);
    t_.evaluation_loop.run(VOLT_STAGE_VALIDATE, false);
    t_.c.module.check(t_.c.module->set_training(t_.c.module.get(), true), "train");
  }
  if (stepped) ++s.batches_that_stepped;
  progress_.batch.total.completed = progress_.batch.total.processed;
  progress_.batch.current.completed = progress_.batch.current.processed;
  // Every rank stops, checkpoints or is interrupted at the same step (a rank alone would leave
  // the others waiting in a collective), agreed without making each step wait
  // (trainer/boundary_vote.hpp).
  uint32_t requests = fit_.vote().at_step_boundary(t_.signals.take_local_requests());
  t_.signals.acted_on(requests);
  s.should_stop = (requests & kRequestStop) != 0;
  t_.signals.act_on_requests(requests);
  if (t_.options.max_steps >= 0 && s.global_step >= t_.options.max_steps) return true;
  return fit_.stop_requested_and_allowed();
}

void TrainingEpochLoop::finish_epoch(bool restarting) {
  // Plateau schedulers step here, after the monitoring callbacks, on an epoch that ran all its
  // batches (the others stepped with the last batch). A restart has no epoch metrics, so they
  // wait for the next epoch (Lightning's update_plateau_schedulers=not restarting).
  if (!restarting && progress_.batch.current.ready >= t_.state.num_train_batches)
    t_.optimizers.step_epoch_schedulers(OptimizerConnector::SchedulerKind::Plateau);
  // Lightning logs epoch metrics at the step of the epoch's last batch (FitLoop decrements
  // _batches_that_stepped around update_train_epoch_metrics).
  t_.logging.log_to_loggers(t_.logging.metrics().finish_epoch(MetricScope::Train),
                            std::max<int64_t>(0, t_.state.batches_that_stepped - 1));
  ++progress_.epoch.total.completed;
  progress_.epoch.current = progress_.epoch.total;
}

// An integer interval counts batches of the epoch, or of the whole fit with
// check_val_every_n_epoch=None (total_batch_idx).
bool TrainingEpochLoop::should_validate(int64_t batch_idx, bool is_last_batch) const {
  const TrainerOptions& o = t_.options;
  if (o.check_val_every_n_epoch && (t_.state.current_epoch + 1) % *o.check_val_every_n_epoch != 0)
    return false;
  const BatchLimit& every = o.val_check_interval;
  if (every.is_fraction) {
    if (every.fraction >= 1.0) return is_last_batch;
    int64_t n = std::max<int64_t>(
        1, static_cast<int64_t>(static_cast<double>(t_.state.num_train_batches) * every.fraction));
    return (batch_idx + 1) % n == 0;
  }
  int64_t iteration = o.check_val_every_n_epoch ? batch_idx : progress_.batch.total.ready - 1;
  return every.count > 0 && (iteration + 1) % every.count == 0;
}

void TrainingEpochLoop::check_val_check_interval() const {
  const BatchLimit& every = t_.options.val_check_interval;
  int64_t batches = t_.state.num_train_batches;
  if (every.is_fraction || !t_.options.check_val_every_n_epoch || every.count <= batches) return;
  throw Error(VOLT_ERROR_INVALID_ARGUMENT,
              "`val_check_interval` (" + std::to_string(every.count) +
                  ") must be less than or equal to the number of the training batches (" +
                  std::to_string(batches) +
                  "). If you want to disable validation set `limit_val_batches` to 0.0 instead. "
                  "If you want to validate based on the total training batches, set "
                  "`check_val_every_n_epoch=None`.");
}

}  // namespace volt::host
