// The fit loop's progress as Lightning stores it under checkpoint["loops"]["fit_loop"]
// (loops/progress.py): counters that say how far the run got, from which a resume knows where
// to continue. Each counter moves ready -> started -> processed -> completed; `current` counts
// within the running epoch, `total` over the whole run.
#pragma once

#include <volt/sdk/torch_core.hpp>

namespace volt::host {

struct Progress {
  int64_t ready = 0, started = 0, processed = 0, completed = 0;
};
struct ProgressPair {
  Progress total, current;
};

struct FitProgress {
  ProgressPair epoch;           // fit_loop.epoch_progress
  ProgressPair batch;           // epoch_loop.batch_progress (processed: step done)
  bool is_last_batch = false;
  ProgressPair optimizer_step;  // ...optim_progress.optimizer.step (ready, completed)
  ProgressPair zero_grad;       // ...optim_progress.optimizer.zero_grad
  ProgressPair val_batch;       // epoch_loop.val_loop.batch_progress
  int64_t batches_that_stepped = 0;  // epoch_loop.state_dict._batches_that_stepped
  // Volt: the training batch after which validation last started in this epoch (-1: none),
  // so that a resume neither repeats nor skips it. Stored in epoch_loop.state_dict.
  int64_t validated_batch = -1;
};

// {"fit_loop": {...}, "validate_loop": {...}, "test_loop": {...}, "predict_loop": {...}}
c10::IValue loops_to_ivalue(const FitProgress& p);

// Reads checkpoint["loops"]; missing counters read as 0 so that checkpoints written by
// other Lightning versions still load. Throws volt::Error when "fit_loop" is not a dict.
FitProgress fit_progress_from(const c10::IValue& loops);

}  // namespace volt::host
