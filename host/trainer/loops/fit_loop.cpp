#include "trainer/loops/fit_loop.hpp"

#include "runtime/log.hpp"
#include "trainer/trainer_parts.hpp"

namespace volt::host {

bool FitLoop::stop_requested_and_allowed() {
  const RunState& s = t_.state;
  if (!s.should_stop) return false;
  // Epochs processed, which current_epoch counts both inside an epoch and after its end.
  if (s.current_epoch >= t_.options.min_epochs && s.global_step >= t_.options.min_steps) return true;
  if (!min_not_met_reported_) {
    min_not_met_reported_ = true;
    log::info("Trainer was signaled to stop but the required `min_epochs=", t_.options.min_epochs,
              "` or `min_steps=", t_.options.min_steps, "` has not been met. Training will continue...");
  }
  return false;
}

void FitLoop::run() {
  RunState& s = t_.state;
  const TrainerOptions& o = t_.options;
  ScopedValue<bool> training(s.training, true);
  vote_.emplace(t_.info.world_size,
                [this](const RequestCounts& c) { return t_.ranks.start_request_sum(c); });
  // A vote still in flight is given up when training ends, also by an exception, before the
  // strategy's teardown.
  struct EndVote {
    std::optional<BoundaryVote>& vote;
    ~EndVote() { vote.reset(); }
  } end_vote{vote_};
  t_.hooks.call(VOLT_HOOK_ON_TRAIN_START);
  // Lightning: the strategy's on_train_start after the callbacks' and the module's.
  call_strategy_hook(t_.c.strategy->on_train_start, "on_train_start");
  bool stop = false;
  if (resume_.phase == ResumePoint::Phase::EpochEnd) {
    // Saved in on_train_epoch_end: only what follows that hook is left of the epoch.
    resume_ = {};
    epoch_loop_.finish_epoch(true);
    ++s.current_epoch;
    stop = stop_requested_and_allowed();
  }
  while (!stop && (o.max_epochs < 0 || s.current_epoch < o.max_epochs)) {
    if (o.max_steps >= 0 && s.global_step >= o.max_steps) break;
    TrainingEpochLoop::Start start;
    start.resumed = resume_.phase == ResumePoint::Phase::MidEpoch;
    start.first_batch = resume_.next_batch;
    start.finish_batch = resume_.finish_batch;
    resume_ = {};
    epoch_loop_.run(start);
    ++s.current_epoch;
    // Epoch-end hooks may have asked on one rank; a step-boundary vote in flight counts too
    // (every rank drains it, whatever it asks). Checkpoints that signals asked for wait for the
    // next step boundary: this point is not one that a checkpoint resumes from.
    uint32_t requests = vote_->settle(t_.signals.take_local_requests());
    t_.signals.defer(requests & kRequestHpcCheckpoint);
    s.should_stop = (requests & kRequestStop) != 0;
    if ((requests & kRequestInterrupt) != 0 || stop_requested_and_allowed()) break;
  }
  if (s.should_stop && !s.stop_reason.empty()) log::info("Training stopped: ", s.stop_reason);
  t_.hooks.call(VOLT_HOOK_ON_TRAIN_END);
  call_strategy_hook(t_.c.strategy->on_train_end, "on_train_end");
}

void FitLoop::call_strategy_hook(volt_error* (*hook)(volt_strategy*), const char* name) {
  if (hook != nullptr) t_.c.strategy.check(hook(t_.c.strategy.get()), name);
}

FitProgress FitLoop::progress_to_save() const {
  FitProgress p = progress_;
  p.batches_that_stepped = t_.state.batches_that_stepped;
  return p;
}

void FitLoop::restore(const CheckpointFile& ckpt) {
  const c10::IValue* loops = ckpt.find("loops");
  if (loops == nullptr)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, "checkpoint " + ckpt.name() + " has no 'loops' entry");
  try {
    progress_ = fit_progress_from(*loops);
  } catch (const Error& e) {
    throw Error(e.code(), "checkpoint " + ckpt.name() + ": " + e.what());
  }
  RunState& s = t_.state;
  const c10::IValue* step = ckpt.find("global_step");
  s.global_step = step != nullptr && step->isInt() ? step->toInt()
                                                   : progress_.optimizer_step.total.completed;
  s.batches_that_stepped = progress_.batches_that_stepped;
  const Progress& e = progress_.epoch.total;
  if (e.completed >= e.started) {
    s.current_epoch = e.completed;  // between epochs
  } else if (e.processed >= e.started) {
    s.current_epoch = e.started - 1;  // saved in on_train_epoch_end: finish that epoch's end
    resume_.phase = ResumePoint::Phase::EpochEnd;
  } else {
    s.current_epoch = e.started - 1;  // mid-epoch: continue after the last batch that stepped
    const Progress& b = progress_.batch.current;
    resume_.phase = ResumePoint::Phase::MidEpoch;
    resume_.next_batch = b.processed;
    resume_.finish_batch = b.processed > b.completed ? b.completed : -1;
    int64_t accumulate = t_.options.accumulate_grad_batches;
    if (accumulate > 1 && b.processed % accumulate != 0)
      log::warning("checkpoint ", ckpt.name(),
                   " was saved inside a gradient accumulation window; the gradients of that "
                   "window's earlier batches are not in it");
  }
  if (t_.options.max_epochs >= 0 && s.current_epoch > t_.options.max_epochs)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "you restored a checkpoint with current_epoch=" + std::to_string(s.current_epoch) +
                    ", but trainer.max_epochs=" + std::to_string(t_.options.max_epochs));
}

}  // namespace volt::host
