#include "trainer/loops/evaluation_loop.hpp"

#include "trainer/interrupted.hpp"
#include "trainer/loops/module_step.hpp"
#include "trainer/trainer_parts.hpp"

#include <algorithm>
#include <optional>

namespace volt::host {

namespace {

struct EvalHooks {
  int32_t split, step, start, end, epoch_start, epoch_end, batch_start, batch_end, model_eval,
      model_train;
  MetricScope scope;
};

EvalHooks hooks_for(int32_t stage) {
  if (stage == VOLT_STAGE_TEST)
    return {VOLT_SPLIT_TEST,         VOLT_STEP_TEST,           VOLT_HOOK_ON_TEST_START,
            VOLT_HOOK_ON_TEST_END,   VOLT_HOOK_ON_TEST_EPOCH_START, VOLT_HOOK_ON_TEST_EPOCH_END,
            VOLT_HOOK_ON_TEST_BATCH_START, VOLT_HOOK_ON_TEST_BATCH_END, VOLT_HOOK_ON_TEST_MODEL_EVAL,
            VOLT_HOOK_ON_TEST_MODEL_TRAIN, MetricScope::Test};
  return {VOLT_SPLIT_VALIDATION,
          VOLT_STEP_VALIDATION,
          VOLT_HOOK_ON_VALIDATION_START,
          VOLT_HOOK_ON_VALIDATION_END,
          VOLT_HOOK_ON_VALIDATION_EPOCH_START,
          VOLT_HOOK_ON_VALIDATION_EPOCH_END,
          VOLT_HOOK_ON_VALIDATION_BATCH_START,
          VOLT_HOOK_ON_VALIDATION_BATCH_END,
          VOLT_HOOK_ON_VALIDATION_MODEL_EVAL,
          VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN,
          MetricScope::Validation};
}

}  // namespace

ScalarRow EvaluationLoop::run(int32_t stage, bool sanity) {
  EvalHooks h = hooks_for(stage);
  RunState& s = t_.state;
  const TrainerOptions& o = t_.options;
  const BatchLimit& limit = stage == VOLT_STAGE_TEST ? o.limit_test_batches : o.limit_val_batches;
  int64_t n = limit.apply(t_.data.available_batches(h.split));
  if (sanity && o.num_sanity_val_steps >= 0) n = std::min(n, o.num_sanity_val_steps);
  ScopedValue<bool> training(s.training, false);
  ScopedValue<int64_t> loop_batches(s.loop_batches, n);
  ScopedValue<MetricScope> scope(s.scope, h.scope);
  // Lightning evaluates under torch.inference_mode (or no_grad when inference_mode=False).
  std::optional<c10::InferenceMode> inference;
  std::optional<torch::NoGradGuard> no_grad;
  if (o.inference_mode) inference.emplace();
  else no_grad.emplace();

  const ModuleInstance& module = t_.c.module;
  // The module's on_validation_model_eval/train switch its mode (always dispatched, as
  // Lightning's defaults); around the test's overridable hooks the trainer switches it.
  if (stage == VOLT_STAGE_TEST) module.check(module->set_training(module.get(), false), "eval");
  t_.hooks.call(h.model_eval);
  t_.hooks.call(h.start);
  t_.hooks.call(h.epoch_start);
  HostBatch batch;
  for (int64_t i = 0; i < n; ++i) {
    stop_if_signalled(s.stage);
    t_.data.fetch_batch(h.split, s.current_epoch, i, batch);
    volt_hook_args args = batch.hook_args(i);
    t_.hooks.call(h.batch_start, args);
    ModuleStep step(t_, h.step, batch, i);
    step.end();
    args.outputs = step.output();
    t_.hooks.call(h.batch_end, args);
  }
  MetricCollector& metrics = t_.logging.metrics();
  // Lightning's epoch_end_reached: on_*_epoch_end sees the epoch values (the sanity check's are
  // forgotten, so they never become callback metrics).
  if (!sanity) metrics.epoch_end_reached(h.scope);
  t_.hooks.call(h.epoch_end);
  ScalarRow logged;
  if (sanity) {
    metrics.reset(h.scope);
  } else {
    logged = metrics.finish_epoch(h.scope);
    t_.logging.log_to_loggers(logged, s.batches_that_stepped);
  }
  t_.hooks.call(h.end);
  if (stage == VOLT_STAGE_TEST) module.check(module->set_training(module.get(), true), "train");
  t_.hooks.call(h.model_train);
  return logged;
}

}  // namespace volt::host
