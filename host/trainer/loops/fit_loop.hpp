// Lightning's _FitLoop: the epochs of fit, from on_train_start to on_train_end, with
// max_epochs / max_steps / min_epochs / min_steps, the stop decision of every rank agreed at
// the end of each epoch, and the loop progress that checkpoints save and resume from.
#pragma once

#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/loop_state.hpp"
#include "trainer/boundary_vote.hpp"
#include "trainer/loops/training_epoch_loop.hpp"

#include <optional>

namespace volt::host {

class TrainerParts;

class FitLoop {
 public:
  explicit FitLoop(TrainerParts& t) : t_(t), epoch_loop_(t, *this, progress_) {}

  // The restored checkpoint was saved in on_train_epoch_end (Lightning runs the sanity check
  // again when resuming from such a checkpoint, and not from others).
  bool resumes_at_epoch_end() const { return resume_.phase == ResumePoint::Phase::EpochEnd; }
  // on_train_start to on_train_end.
  void run();

  // The loop counters a checkpoint saves (checkpoint["loops"]).
  FitProgress progress_to_save() const;
  // Where the checkpoint's run was: the counters, global_step, the epoch, and the point the
  // next run() continues from. Throws volt::Error naming the checkpoint.
  void restore(const CheckpointFile& ckpt);

  // The step-boundary vote, while run() runs.
  BoundaryVote& vote() { return *vote_; }
  // should_stop, unless min_epochs / min_steps keep training (Lightning's _can_stop_early).
  bool stop_requested_and_allowed();

 private:
  struct ResumePoint {
    enum class Phase { None, MidEpoch, EpochEnd } phase = Phase::None;
    int64_t next_batch = 0;     // first batch to run in the resumed epoch
    int64_t finish_batch = -1;  // a batch whose step was done but not what follows it
  };
  void call_strategy_hook(volt_error* (*hook)(volt_strategy*), const char* name);

  TrainerParts& t_;
  FitProgress progress_;
  ResumePoint resume_;
  std::optional<BoundaryVote> vote_;  // while the training loop runs
  bool min_not_met_reported_ = false;  // Lightning's "min_epochs ... has not been met" said once
  TrainingEpochLoop epoch_loop_;
};

}  // namespace volt::host
