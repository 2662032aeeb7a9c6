#include "trainer/loops/automatic_optimization.hpp"

#include "trainer/connectors/default_steps.hpp"
#include "trainer/loops/module_step.hpp"
#include "trainer/trainer_parts.hpp"

#include <volt/sdk/core.hpp>

#include <torch/nn/utils/clip_grad.h>

#include <functional>

namespace volt::host {

void AutomaticOptimization::run(ModuleStep& step, int64_t batch_idx, bool is_last_batch) {
  if (step.output() == nullptr)
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                t_.c.module.label() + ": training_step returned no loss (automatic optimization "
                                      "needs one; return the loss tensor)");
  int64_t accumulate = t_.options.accumulate_grad_batches;
  bool first_of_window = batch_idx % accumulate == 0;
  bool should_step = (batch_idx + 1) % accumulate == 0 || is_last_batch;
  at::Tensor loss = volt::unwrap(step.output());
  if (accumulate > 1) {
    loss = loss / static_cast<double>(accumulate);
    // Lightning's batch-end outputs hold the normalised loss (ClosureResult).
    volt::unwrap(step.output()) = loss.detach();
  }
  for (size_t k = 0; first_of_window && k < t_.optimizers.size(); ++k) {
    volt_hook_args z{};
    z.optimizer_idx = static_cast<int32_t>(k);
    t_.hooks.call(VOLT_HOOK_ON_BEFORE_ZERO_GRAD, z);
    ++progress_.zero_grad.total.ready, ++progress_.zero_grad.total.started;
    zero_grad(k, batch_idx);
    ++progress_.zero_grad.total.completed;
  }
  backward(loss, should_step);
  if (should_step) {
    for (size_t k = 0; k < t_.optimizers.size(); ++k) step_optimizer(k, batch_idx);
    t_.optimizers.step_batch_schedulers(batch_idx);
  }
  // Lightning steps the epoch's non-plateau schedulers with its last batch, before the
  // validation and the checkpoints of the epoch's end (so those hold the stepped state).
  if (is_last_batch)
    t_.optimizers.step_epoch_schedulers(OptimizerConnector::SchedulerKind::NonPlateau);
}

void AutomaticOptimization::backward(const at::Tensor& loss, bool should_step) {
  volt_hook_args b{};
  b.loss = volt::borrow(loss);
  t_.hooks.call(VOLT_HOOK_ON_BEFORE_BACKWARD, b);
  const PrecisionInstance& precision = t_.c.precision;
  const StrategyInstance& strategy = t_.c.strategy;
  volt_tensor* scaled = nullptr;
  precision.check(precision->pre_backward(precision.get(), volt::borrow(loss), &scaled),
                  "pre_backward");
  volt_error* err = nullptr;
  {
    // The strategy runs the module's backward hook when it has one (self.log's rules).
    HookScope scope(t_.state.hook, VOLT_HOOK_BACKWARD);
    err = strategy->backward(strategy.get(), t_.c.module.get(), scaled, should_step);
  }
  volt::release_ref(scaled);
  strategy.check(err, "backward");
  t_.hooks.call(VOLT_HOOK_ON_AFTER_BACKWARD);
}

void AutomaticOptimization::zero_grad(size_t k, int64_t batch_idx) {
  volt_optimizer* opt = t_.optimizers.slots()[k].optimizer;
  // The common case calls the optimizer directly: no std::function on the per-step path.
  if (!t_.hooks.module_replaces(VOLT_HOOK_OPTIMIZER_ZERO_GRAD))
    return t_.c.module.check(opt->zero_grad(opt, true), "zero_grad");
  std::function<void()> own = [&] { t_.c.module.check(opt->zero_grad(opt, true), "zero_grad"); };
  volt_hook_args a{};
  a.optimizer_idx = static_cast<int32_t>(k);
  a.batch_idx = batch_idx;
  t_.hooks.call_replacing(VOLT_HOOK_OPTIMIZER_ZERO_GRAD, a, own);
}

void AutomaticOptimization::step_optimizer(size_t k, int64_t batch_idx) {
  if (!t_.hooks.module_replaces(VOLT_HOOK_OPTIMIZER_STEP)) return optimizer_step(k);
  std::function<void()> own = [&] { optimizer_step(k); };
  volt_hook_args a{};
  a.optimizer_idx = static_cast<int32_t>(k);
  a.batch_idx = batch_idx;
  t_.hooks.call_replacing(VOLT_HOOK_OPTIMIZER_STEP, a, own);
}

void AutomaticOptimization::optimizer_step(size_t k) {
  volt_optimizer* opt = t_.optimizers.slots()[k].optimizer;
  const PrecisionInstance& precision = t_.c.precision;
  bool skip = false;
  precision.check(precision->before_optimizer_step(precision.get(), opt, &skip),
                  "before_optimizer_step");
  volt_hook_args a{};
  a.optimizer_idx = static_cast<int32_t>(k);
  t_.hooks.call(VOLT_HOOK_ON_BEFORE_OPTIMIZER_STEP, a);
  configure_gradient_clipping(k);
  ++progress_.optimizer_step.total.ready;
  if (!skip)
    t_.c.strategy.check(t_.c.strategy->optimizer_step(t_.c.strategy.get(), t_.c.module.get(), opt),
                        "optimizer_step");
  precision.check(precision->after_optimizer_step(precision.get(), opt), "after_optimizer_step");
  ++t_.state.global_step;
  ++progress_.optimizer_step.total.completed;
  progress_.optimizer_step.current = progress_.optimizer_step.total;
}

void AutomaticOptimization::configure_gradient_clipping(size_t k) {
  volt_optimizer* opt = t_.optimizers.slots()[k].optimizer;
  const TrainerOptions& o = t_.options;
  if (!t_.hooks.module_replaces(VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING)) {
    if (o.gradient_clip_val) clip_gradients(opt, *o.gradient_clip_val, o.gradient_clip_algorithm);
    return;
  }
  std::function<void(double, const std::string&)> clip = [&](double v, const std::string& algo) {
    if (algo != "norm" && algo != "value")
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "clip_gradients: gradient_clip_algorithm '" + algo + "' is not 'norm' or 'value'");
    if (v > 0) clip_gradients(opt, v, algo);
  };
  DefaultSteps d;
  d.clip = &clip;
  volt_hook_args a{};
  d.attach(a, VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING);
  a.optimizer_idx = static_cast<int32_t>(k);
  if (o.gradient_clip_val) {
    a.gradient_clip_val = *o.gradient_clip_val;
    a.gradient_clip_algorithm = o.gradient_clip_algorithm.c_str();
  }
  t_.hooks.call_module_hook(VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING, a);
}

void AutomaticOptimization::clip_gradients(volt_optimizer* optimizer, double clip_val,
                                           const std::string& algorithm) {
  auto params = [optimizer] {
    std::vector<at::Tensor> out;
    for (size_t g = 0; g < optimizer->param_group_count(optimizer); ++g)
      optimizer->visit_params(optimizer, g,
                              [](void* ctx, const char*, volt_tensor* t) {
                                static_cast<std::vector<at::Tensor>*>(ctx)->push_back(volt::unwrap(t));
                              },
                              &out);
    return out;
  };
  if (algorithm == "value") {
    torch::nn::utils::clip_grad_value_(params(), clip_val);
    return;
  }
  // A sharding strategy sees every rank's shard (ABI 1.5); the norm is the unsharded model's.
  auto by_norm = t_.c.strategy->clip_grad_norm;
  if (by_norm != nullptr)
    t_.c.strategy.check(by_norm(t_.c.strategy.get(), optimizer, clip_val, 2.0, nullptr),
                        "clip_grad_norm");
  else
    torch::nn::utils::clip_grad_norm_(params(), clip_val);
}

}  // namespace volt::host
