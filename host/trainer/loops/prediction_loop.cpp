#include "trainer/loops/prediction_loop.hpp"

#include "trainer/interrupted.hpp"
#include "trainer/loops/module_step.hpp"
#include "trainer/trainer_parts.hpp"

#include <volt/sdk/core.hpp>

namespace volt::host {

std::vector<at::Tensor> PredictionLoop::run() {
  std::vector<at::Tensor> predictions;
  RunState& s = t_.state;
  int64_t n = t_.options.limit_predict_batches.apply(t_.data.available_batches(VOLT_SPLIT_PREDICT));
  c10::InferenceMode inference;
  const ModuleInstance& module = t_.c.module;
  module.check(module->set_training(module.get(), false), "eval");
  t_.hooks.call(VOLT_HOOK_ON_PREDICT_MODEL_EVAL);
  ScopedValue<int64_t> loop_batches(s.loop_batches, n);
  t_.hooks.call(VOLT_HOOK_ON_PREDICT_START);
  t_.hooks.call(VOLT_HOOK_ON_PREDICT_EPOCH_START);
  HostBatch batch;
  for (int64_t i = 0; i < n; ++i) {
    stop_if_signalled(s.stage);
    t_.data.fetch_batch(VOLT_SPLIT_PREDICT, 0, i, batch);
    volt_hook_args args = batch.hook_args(i);
    t_.hooks.call(VOLT_HOOK_ON_PREDICT_BATCH_START, args);
    ModuleStep step(t_, VOLT_STEP_PREDICT, batch, i);
    step.end();
    at::Tensor prediction = step.take_prediction();
    args.outputs = prediction.defined() ? volt::borrow(prediction) : nullptr;
    t_.hooks.call(VOLT_HOOK_ON_PREDICT_BATCH_END, args);
    if (prediction.defined()) predictions.push_back(prediction);
  }
  t_.hooks.call(VOLT_HOOK_ON_PREDICT_EPOCH_END);
  t_.hooks.call(VOLT_HOOK_ON_PREDICT_END);
  return predictions;
}

}  // namespace volt::host
