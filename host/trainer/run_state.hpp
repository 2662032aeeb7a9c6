// What is running now: the trainer state that plugins read through trainer_state() and that
// decides self.log's rules. Every change that lasts for a scope goes through ScopedValue, so an
// exception leaves the state as it was before the scope, and on_exception sees the truth.
#pragma once

#include "trainer/metric_collector.hpp"

#include <volt/volt.h>

#include <string>
#include <utility>

namespace volt::host {

struct RunState {
  int32_t stage = VOLT_STAGE_FIT;
  int32_t hook = VOLT_HOOK_NONE;           // the hook or step running now
  MetricScope scope = MetricScope::Train;  // the loop whose collection self.log writes to
  bool sanity_checking = false;
  bool training = false;
  int64_t loop_batches = -1;  // batches of the running loop (volt_trainer_state::num_batches)
  int64_t current_epoch = 0;
  int64_t global_step = 0;           // optimizer steps
  int64_t batches_that_stepped = 0;  // Lightning's _batches_that_stepped (the logging step)
  int64_t current_batch_size = 1;    // of the batch fetched last (self.log's default)
  int64_t num_train_batches = 0;
  int64_t num_val_batches = 0;  // per validation run, after limit_val_batches
  std::string ckpt_path;        // the checkpoint this fit resumed from (trainer.ckpt_path)
  bool should_stop = false;
  std::string stop_reason;
};

// Sets `slot` to `value` for a scope and puts the previous value back when the scope ends,
// also by an exception.
template <class T>
class ScopedValue {
 public:
  ScopedValue(T& slot, T value) : slot_(slot), previous_(std::exchange(slot, std::move(value))) {}
  ~ScopedValue() { slot_ = std::move(previous_); }
  ScopedValue(const ScopedValue&) = delete;
  ScopedValue& operator=(const ScopedValue&) = delete;

 private:
  T& slot_;
  T previous_;
};

using HookScope = ScopedValue<int32_t>;

}  // namespace volt::host
