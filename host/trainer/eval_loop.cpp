// Validation, test and predict loops, and the validate/test/predict entry points.
#include "trainer/trainer.hpp"

#include "console/tables.hpp"
#include "runtime/signals.hpp"
#include "trainer/interrupted.hpp"

#include <volt/sdk/core.hpp>

#include <csignal>

namespace volt::host {

namespace {

struct EvalHooks {
  int32_t split, step, step_hook, start, end, epoch_start, epoch_end, batch_start, batch_end;
  MetricScope scope;
};

EvalHooks hooks_for(int32_t stage) {
  if (stage == VOLT_STAGE_TEST)
    return {VOLT_SPLIT_TEST, VOLT_STEP_TEST, VOLT_HOOK_TEST_STEP, VOLT_HOOK_ON_TEST_START,
            VOLT_HOOK_ON_TEST_END, VOLT_HOOK_ON_TEST_EPOCH_START, VOLT_HOOK_ON_TEST_EPOCH_END,
            VOLT_HOOK_ON_TEST_BATCH_START, VOLT_HOOK_ON_TEST_BATCH_END, MetricScope::Test};
  return {VOLT_SPLIT_VALIDATION, VOLT_STEP_VALIDATION, VOLT_HOOK_VALIDATION_STEP,
          VOLT_HOOK_ON_VALIDATION_START, VOLT_HOOK_ON_VALIDATION_END,
          VOLT_HOOK_ON_VALIDATION_EPOCH_START, VOLT_HOOK_ON_VALIDATION_EPOCH_END,
          VOLT_HOOK_ON_VALIDATION_BATCH_START, VOLT_HOOK_ON_VALIDATION_BATCH_END,
          MetricScope::Validation};
}

}  // namespace

// validate, test and predict stop at the next batch on SIGINT/SIGTERM (fit stops at its step
// boundaries and saves a checkpoint first; there is nothing to save here).
void Trainer::stop_if_signalled() const {
  if (stage_ == VOLT_STAGE_FIT || !cancel_flag().load()) return;
  throw Interrupted(stop_signal() != 0 ? stop_signal() : SIGINT, "");
}

ScalarRow Trainer::run_evaluation(int32_t stage, bool sanity) {
  EvalHooks h = hooks_for(stage);
  const BatchLimit& limit =
      stage == VOLT_STAGE_TEST ? options_.limit_test_batches : options_.limit_val_batches;
  int64_t n = limit.apply(available_batches(h.split));
  if (sanity && options_.num_sanity_val_steps >= 0) n = std::min(n, options_.num_sanity_val_steps);
  bool was_training = training_;
  training_ = false;
  int64_t outer_loop_batches = loop_batches_;
  loop_batches_ = n;
  MetricScope previous_scope = scope_;
  scope_ = h.scope;
  // Lightning evaluates under torch.inference_mode (or no_grad when inference_mode=False).
  std::optional<c10::InferenceMode> inference;
  std::optional<torch::NoGradGuard> no_grad;
  if (options_.inference_mode) inference.emplace(); else no_grad.emplace();

  if (stage == VOLT_STAGE_VALIDATE) {
    call_hook(VOLT_HOOK_ON_VALIDATION_MODEL_EVAL);
  } else {
    c_.module.check(c_.module->set_training(c_.module.get(), false), "eval");
    call_hook(VOLT_HOOK_ON_TEST_MODEL_EVAL);
  }
  call_hook(h.start);
  call_hook(h.epoch_start);
  HostBatch batch;
  for (int64_t i = 0; i < n; ++i) {
    stop_if_signalled();
    fetch_batch(h.split, current_epoch_, i, batch);
    call_hook(h.batch_start, batch_args(batch, i));
    volt_step_args step{};
    step.struct_size = volt::abi_size(&step);
    step.step = h.step;
    step.batch = batch.data();
    step.batch_len = batch.size();
    step.batch_idx = i;
    volt_step_result result{};
    result.struct_size = volt::abi_size(&result);
    c_.precision.check(c_.precision->forward_begin(c_.precision.get()), "forward_begin");
    strategy_step_begin(h.step);
    hook_ = h.step_hook;
    volt_error* err = c_.module->step(c_.module.get(), &step, &result);
    hook_ = VOLT_HOOK_NONE;
    c_.precision.check(c_.precision->forward_end(c_.precision.get()), "forward_end");
    c_.module.check(err, stage == VOLT_STAGE_TEST ? "test_step" : "validation_step");
    strategy_step_end(h.step);
    volt_hook_args end = batch_args(batch, i);
    end.outputs = result.output;
    call_hook(h.batch_end, end);
    volt::release_ref(result.output);
    if (result.prediction != nullptr && result.prediction->deleter != nullptr)
      result.prediction->deleter(result.prediction);
  }
  // Lightning's epoch_end_reached: on_*_epoch_end sees the epoch values (the sanity check's are
  // forgotten, so they never become callback metrics).
  if (!sanity) metrics_.epoch_end_reached(h.scope);
  call_hook(h.epoch_end);
  ScalarRow logged;
  if (sanity) {
    metrics_.reset(h.scope);
  } else {
    logged = metrics_.finish_epoch(h.scope);
    log_to_loggers(logged, batches_that_stepped_);
  }
  call_hook(h.end);
  if (stage == VOLT_STAGE_VALIDATE) {
    call_hook(VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN);
  } else {
    c_.module.check(c_.module->set_training(c_.module.get(), true), "train");
    call_hook(VOLT_HOOK_ON_TEST_MODEL_TRAIN);
  }
  scope_ = previous_scope;
  training_ = was_training;
  loop_batches_ = outer_loop_batches;
  return logged;
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
  try {
    setup(stage);  // per stage, as Lightning (also after fit with --test-after-fit)
    load_stage_weights(ckpt_path);
    log_hyperparameters();
    logged = run_evaluation(stage, false);
    teardown(stage);
    finalize_loggers("success");
  } catch (const Interrupted& e) {
    on_exception(e.what());
    finalize_loggers("interrupted");
    throw;
  } catch (const std::exception& e) {
    on_exception(e.what());
    finalize_loggers("failed");
    throw;
  }
  // Lightning's results table: what this loop logged at epoch level.
  std::map<std::string, double> results(logged.begin(), logged.end());
  if (info_.global_rank == 0)
    print_metrics_table(stage == VOLT_STAGE_TEST ? "Test metric" : "Validate metric", results,
                        stdout);
  return results;
}

std::vector<at::Tensor> Trainer::predict(const std::optional<std::string>& ckpt_path) {
  std::vector<at::Tensor> out;
  try {
    setup(VOLT_STAGE_PREDICT);
    load_stage_weights(ckpt_path);
    out = run_prediction();
    teardown(VOLT_STAGE_PREDICT);
    finalize_loggers("success");
  } catch (const std::exception& e) {
    on_exception(e.what());
    finalize_loggers("failed");
    throw;
  }
  return out;
}

std::vector<at::Tensor> Trainer::run_prediction() {
  std::vector<at::Tensor> predictions;
  int64_t n = options_.limit_predict_batches.apply(available_batches(VOLT_SPLIT_PREDICT));
  c10::InferenceMode inference;
  c_.module.check(c_.module->set_training(c_.module.get(), false), "eval");
  call_hook(VOLT_HOOK_ON_PREDICT_MODEL_EVAL);
  loop_batches_ = n;
  call_hook(VOLT_HOOK_ON_PREDICT_START);
  call_hook(VOLT_HOOK_ON_PREDICT_EPOCH_START);
  HostBatch batch;
  for (int64_t i = 0; i < n; ++i) {
    stop_if_signalled();
    fetch_batch(VOLT_SPLIT_PREDICT, 0, i, batch);
    call_hook(VOLT_HOOK_ON_PREDICT_BATCH_START, batch_args(batch, i));
    volt_step_args step{};
    step.struct_size = volt::abi_size(&step);
    step.step = VOLT_STEP_PREDICT;
    step.batch = batch.data();
    step.batch_len = batch.size();
    step.batch_idx = i;
    volt_step_result result{};
    result.struct_size = volt::abi_size(&result);
    c_.precision.check(c_.precision->forward_begin(c_.precision.get()), "forward_begin");
    strategy_step_begin(VOLT_STEP_PREDICT);
    hook_ = VOLT_HOOK_PREDICT_STEP;
    volt_error* err = c_.module->step(c_.module.get(), &step, &result);
    hook_ = VOLT_HOOK_NONE;
    c_.precision.check(c_.precision->forward_end(c_.precision.get()), "forward_end");
    c_.module.check(err, "predict_step");
    strategy_step_end(VOLT_STEP_PREDICT);
    at::Tensor prediction;
    if (result.prediction != nullptr) prediction = volt::from_dlpack(result.prediction).clone();
    volt_hook_args end = batch_args(batch, i);
    end.outputs = prediction.defined() ? volt::borrow(prediction) : nullptr;
    call_hook(VOLT_HOOK_ON_PREDICT_BATCH_END, end);
    volt::release_ref(result.output);
    if (prediction.defined()) predictions.push_back(prediction);
  }
  call_hook(VOLT_HOOK_ON_PREDICT_EPOCH_END);
  call_hook(VOLT_HOOK_ON_PREDICT_END);
  return predictions;
}

}  // namespace volt::host
