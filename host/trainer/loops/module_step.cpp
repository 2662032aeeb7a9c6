#include "trainer/loops/module_step.hpp"

#include "trainer/trainer_parts.hpp"

#include <volt/sdk/core.hpp>

namespace volt::host {

namespace {

struct StepName {
  int32_t hook;
  const char* name;
};

StepName step_name(int32_t step) {
  switch (step) {
    case VOLT_STEP_TRAINING: return {VOLT_HOOK_TRAINING_STEP, "training_step"};
    case VOLT_STEP_VALIDATION: return {VOLT_HOOK_VALIDATION_STEP, "validation_step"};
    case VOLT_STEP_TEST: return {VOLT_HOOK_TEST_STEP, "test_step"};
    default: return {VOLT_HOOK_PREDICT_STEP, "predict_step"};
  }
}

}  // namespace

ModuleStep::ModuleStep(TrainerParts& t, int32_t step, const HostBatch& batch, int64_t batch_idx)
    : t_(t), step_(step) {
  volt_step_args args{};
  args.struct_size = volt::abi_size(&args);
  args.step = step;
  args.batch = batch.data();
  args.batch_len = batch.size();
  args.batch_idx = batch_idx;
  volt_step_result result{};
  result.struct_size = volt::abi_size(&result);
  StepName name = step_name(step);
  const PrecisionInstance& precision = t.c.precision;
  const ModuleInstance& module = t.c.module;
  // The strategy gathers inside the precision's forward context (it sees autocast's dtype).
  precision.check(precision->forward_begin(precision.get()), "forward_begin");
  auto begin = t.c.strategy->step_begin;
  if (begin != nullptr)
    t.c.strategy.check(begin(t.c.strategy.get(), module.get(), step), "step_begin");
  volt_error* error = nullptr;
  {
    HookScope scope(t.state.hook, name.hook);
    error = module->step(module.get(), &args, &result);
  }
  output_ = result.output;  // owned from here, also when what follows throws
  prediction_ = result.prediction;
  precision.check(precision->forward_end(precision.get()), "forward_end");
  module.check(error, name.name);
}

ModuleStep::~ModuleStep() {
  volt::release_ref(output_);
  if (prediction_ != nullptr && prediction_->deleter != nullptr) prediction_->deleter(prediction_);
}

at::Tensor ModuleStep::take_prediction() {
  if (prediction_ == nullptr) return {};
  volt_dl_managed_tensor* p = prediction_;
  prediction_ = nullptr;
  return volt::from_dlpack(p).clone();  // from_dlpack takes `p`, also when it throws
}

void ModuleStep::end() {
  auto end = t_.c.strategy->step_end;
  if (end != nullptr) t_.c.strategy.check(end(t_.c.strategy.get(), t_.c.module.get(), step_), "step_end");
}

}  // namespace volt::host
