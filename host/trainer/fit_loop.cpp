// Trainer::fit and the training loop, in Lightning's hook order (see docs/hooks.md).
#include "trainer/trainer.hpp"

#include "console/tables.hpp"
#include "runtime/host_api.hpp"

#include <volt/sdk/core.hpp>

#include <spdlog/spdlog.h>

namespace volt::host {

void Trainer::fit() {
  try {
    setup(VOLT_STAGE_FIT);
    configure_optimizers();
    if (options_.enable_model_summary && info_.global_rank == 0)
      print_model_summary(c_.module.get(), 1, stdout);
    log_hyperparameters();
    call_hook(VOLT_HOOK_ON_FIT_START);
    for (auto& slot : optimizers_)
      c_.module.check(slot.optimizer->zero_grad(slot.optimizer, true), "zero_grad");
    if (options_.num_sanity_val_steps != 0 && available_batches(VOLT_SPLIT_VALIDATION) > 0 &&
        options_.limit_val_batches.apply(available_batches(VOLT_SPLIT_VALIDATION)) > 0) {
      sanity_checking_ = true;
      call_hook(VOLT_HOOK_ON_SANITY_CHECK_START);
      run_evaluation(VOLT_STAGE_VALIDATE, true);
      call_hook(VOLT_HOOK_ON_SANITY_CHECK_END);
      sanity_checking_ = false;
    }
    run_training();
    call_hook(VOLT_HOOK_ON_FIT_END);
    teardown(VOLT_STAGE_FIT);
    finalize_loggers(cancel_flag().load() ? "interrupted" : "success");
  } catch (const std::exception& e) {
    on_exception(e.what());
    finalize_loggers("failed");
    throw;
  }
}

bool Trainer::stop_requested_and_allowed() const {
  if (cancel_flag().load(std::memory_order_relaxed)) return true;
  if (!should_stop_) return false;
  // min_epochs / min_steps keep training despite a stop request (Lightning).
  return current_epoch_ + 1 >= options_.min_epochs && global_step_ >= options_.min_steps;
}

void Trainer::run_training() {
  training_ = true;
  call_hook(VOLT_HOOK_ON_TRAIN_START);
  while (options_.max_epochs < 0 || current_epoch_ < options_.max_epochs) {
    if (options_.max_steps >= 0 && global_step_ >= options_.max_steps) break;
    run_training_epoch();
    ++current_epoch_;
    if (stop_requested_and_allowed()) break;
  }
  if (should_stop_ && !stop_reason_.empty()) spdlog::info("Training stopped: {}", stop_reason_);
  call_hook(VOLT_HOOK_ON_TRAIN_END);
  training_ = false;
}

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
  return every.count > 0 && (batch_idx + 1) % every.count == 0;
}

void Trainer::run_training_epoch() {
  num_train_batches_ = options_.limit_train_batches.apply(available_batches(VOLT_SPLIT_TRAIN));
  int64_t val_batches = options_.limit_val_batches.apply(available_batches(VOLT_SPLIT_VALIDATION));
  c_.module.check(c_.module->set_training(c_.module.get(), true), "train");
  scope_ = MetricScope::Train;
  call_hook(VOLT_HOOK_ON_TRAIN_EPOCH_START);
  train_bar_.start("Epoch " + std::to_string(current_epoch_), num_train_batches_);
  auto bar_metrics = [this] { return metrics_.progress_bar_metrics(); };
  HostBatch batch;
  for (int64_t i = 0; i < num_train_batches_; ++i) {
    bool is_last = i + 1 == num_train_batches_;
    fetch_batch(VOLT_SPLIT_TRAIN, current_epoch_, i, batch);
    run_training_batch(batch, i, is_last);
    train_bar_.update(i + 1, bar_metrics);
    bool stepped = (i + 1) % options_.accumulate_grad_batches == 0 || is_last;
    if (val_batches > 0 && should_validate(i, is_last)) {
      run_evaluation(VOLT_STAGE_VALIDATE, false);
      scope_ = MetricScope::Train;
      c_.module.check(c_.module->set_training(c_.module.get(), true), "train");
    }
    if (stepped) ++batches_that_stepped_;
    if (options_.max_steps >= 0 && global_step_ >= options_.max_steps) break;
    if (stop_requested_and_allowed()) break;
  }
  train_bar_.finish(bar_metrics);
  scope_ = MetricScope::Train;
  call_hook(VOLT_HOOK_ON_TRAIN_EPOCH_END);
  // Lightning logs epoch metrics at the step of the epoch's last batch (FitLoop decrements
  // _batches_that_stepped around update_train_epoch_metrics).
  log_to_loggers(metrics_.finish_epoch(MetricScope::Train),
                 std::max<int64_t>(0, batches_that_stepped_ - 1));
  step_schedulers(VOLT_INTERVAL_EPOCH);
}

void Trainer::run_training_batch(HostBatch& batch, int64_t batch_idx, bool is_last_batch) {
  volt_hook_args args = batch_args(batch, batch_idx);
  call_hook(VOLT_HOOK_ON_TRAIN_BATCH_START, args);

  volt_step_args step{};
  step.struct_size = sizeof(step);
  step.step = VOLT_STEP_TRAINING;
  step.batch = batch.data();
  step.batch_len = batch.size();
  step.batch_idx = batch_idx;
  volt_step_result result{};
  result.struct_size = sizeof(result);

  int64_t accumulate = options_.accumulate_grad_batches;
  bool first_of_window = batch_idx % accumulate == 0;
  bool should_step = (batch_idx + 1) % accumulate == 0 || is_last_batch;

  c_.precision.check(c_.precision->forward_begin(c_.precision.get()), "forward_begin");
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
      c_.module.check(optimizers_[k].optimizer->zero_grad(optimizers_[k].optimizer, true),
                      "zero_grad");
    }
    volt_hook_args b{};
    b.loss = volt::borrow(loss);
    call_hook(VOLT_HOOK_ON_BEFORE_BACKWARD, b);
    volt_tensor* scaled = nullptr;
    c_.precision.check(c_.precision->pre_backward(c_.precision.get(), volt::borrow(loss), &scaled),
                       "pre_backward");
    volt_error* err = c_.strategy->backward(c_.strategy.get(), c_.module.get(), scaled, should_step);
    volt::release_ref(scaled);
    c_.strategy.check(err, "backward");
    call_hook(VOLT_HOOK_ON_AFTER_BACKWARD);
    if (should_step)
      for (auto& slot : optimizers_) optimizer_step(slot);
  }

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
  clip_gradients(slot.optimizer);
  if (!skip)
    c_.strategy.check(c_.strategy->optimizer_step(c_.strategy.get(), c_.module.get(), slot.optimizer),
                      "optimizer_step");
  c_.precision.check(c_.precision->after_optimizer_step(c_.precision.get(), slot.optimizer),
                     "after_optimizer_step");
  ++global_step_;
  if (slot.scheduler != nullptr && slot.interval == VOLT_INTERVAL_STEP &&
      global_step_ % slot.frequency == 0)
    c_.module.check(slot.scheduler->step(slot.scheduler, false, 0.0), "lr_scheduler.step");
}

void Trainer::clip_gradients(volt_optimizer* optimizer) {
  if (!options_.gradient_clip_val) return;
  std::vector<at::Tensor> params;
  for (size_t g = 0; g < optimizer->param_group_count(optimizer); ++g)
    optimizer->visit_params(optimizer, g,
                            [](void* ctx, const char*, volt_tensor* t) {
                              static_cast<std::vector<at::Tensor>*>(ctx)->push_back(volt::unwrap(t));
                            },
                            &params);
  if (options_.gradient_clip_algorithm == "value")
    torch::nn::utils::clip_grad_value_(params, *options_.gradient_clip_val);
  else
    torch::nn::utils::clip_grad_norm_(params, *options_.gradient_clip_val);
}

void Trainer::step_schedulers(int32_t interval) {
  for (auto& slot : optimizers_) {
    if (slot.scheduler == nullptr || slot.interval != interval) continue;
    if ((current_epoch_ + 1) % slot.frequency != 0) continue;
    double metric = 0;
    bool has = !slot.monitor.empty() && metrics_.callback_metric(slot.monitor, metric);
    if (!slot.monitor.empty() && !has)
      throw Error(VOLT_ERROR_NOT_FOUND,
                  "lr scheduler monitors '" + slot.monitor + "', which was not logged");
    c_.module.check(slot.scheduler->step(slot.scheduler, has, metric), "lr_scheduler.step");
  }
}

}  // namespace volt::host
