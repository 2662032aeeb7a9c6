// Lightning's _TrainingEpochLoop: the batches of one training epoch. For each batch: fetch,
// on_train_batch_start, the training step, the optimization (automatic_optimization.hpp; under
// manual optimization the module steps its optimizers itself), on_train_batch_end, the step's
// metrics to the loggers; then validation when due, and the step-boundary vote on stopping,
// checkpoints and interrupts.
#pragma once

#include "checkpoint/loop_state.hpp"
#include "trainer/components.hpp"
#include "trainer/loops/automatic_optimization.hpp"

namespace volt::host {

class TrainerParts;
class FitLoop;

class TrainingEpochLoop {
 public:
  TrainingEpochLoop(TrainerParts& t, FitLoop& fit, FitProgress& progress)
      : t_(t), fit_(fit), progress_(progress), automatic_(t, progress) {}

  // Where an epoch starts: 0, or the resumed batch; `finish_batch` >= 0 is a resumed batch
  // whose step was done but not what follows it.
  struct Start {
    bool resumed = false;
    int64_t first_batch = 0;
    int64_t finish_batch = -1;
  };
  // One epoch, to the end of on_train_epoch_end and what follows it.
  void run(const Start& start);
  // What follows on_train_epoch_end: plateau schedulers, epoch metrics, epoch completed.
  // `restarting`: a resumed fit finishing the epoch end its checkpoint was saved in.
  void finish_epoch(bool restarting);

 private:
  void run_batch(HostBatch& batch, int64_t batch_idx, bool is_last_batch);
  // What follows a batch's on_train_batch_end; returns true when the epoch must end early.
  bool finish_batch(int64_t batch_idx, bool is_last_batch);
  // Lightning's _should_check_val_fx.
  bool should_validate(int64_t batch_idx, bool is_last_batch) const;
  // Lightning's checks of fit_loop.setup_data, once the epoch's batch count is known.
  void check_val_check_interval() const;

  TrainerParts& t_;
  FitLoop& fit_;
  FitProgress& progress_;  // the fit loop's
  AutomaticOptimization automatic_;
};

}  // namespace volt::host
