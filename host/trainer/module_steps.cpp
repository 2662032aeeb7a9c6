// The steps of a training batch that a module may replace (ABI 1.10, volt/c/hooks.h):
// optimizer_zero_grad, optimizer_step, configure_gradient_clipping and the batch transfer
// hooks. The host keeps its own step unless the module's implements_hook claims the hook, and
// hands the module that step as args.run_default, as Lightning hands optimizer_step a closure.
#include "trainer/trainer.hpp"

#include <volt/sdk/core.hpp>

#include <torch/nn/utils/clip_grad.h>

#include <cmath>
#include <functional>

namespace volt::host {

namespace {

// What a replacing hook's args.default_ctx points to: the host's step (run at most once), the
// clipping of configure_gradient_clipping, the batch of the transfer hooks.
struct HookContext {
  const std::function<void()>* run = nullptr;
  const std::function<void(double, const std::string&)>* clip = nullptr;
  HostBatch* batch = nullptr;
  const char* hook = "";
  int calls = 0;
};

volt_error* run_default_step(void* ctx) {
  auto* d = static_cast<HookContext*>(ctx);
  return volt::detail::guard([&] {
    if (d->run == nullptr)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION, std::string(d->hook) + " has no default step");
    if (d->calls++ > 0)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  std::string(d->hook) + " asked for the trainer's step twice in one call");
    (*d->run)();
  });
}

volt_error* clip_with(void* ctx, double clip_val, const char* algorithm) {
  auto* d = static_cast<HookContext*>(ctx);
  return volt::detail::guard([&] {
    if (d->clip == nullptr)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  "clip_gradients is only available in configure_gradient_clipping");
    (*d->clip)(clip_val, algorithm != nullptr ? algorithm : "norm");
  });
}

volt_error* replace_host_batch(void* ctx, volt_tensor* const* tensors, size_t count) {
  auto* d = static_cast<HookContext*>(ctx);
  return volt::detail::guard([&] {
    if (d->batch == nullptr)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION, "only the batch transfer hooks replace the batch");
    if (count > 0 && tensors == nullptr) throw Error(VOLT_ERROR_INVALID_ARGUMENT, "no tensors");
    std::vector<at::Tensor> kept;  // before clear(): the new batch may share the old handles
    kept.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (tensors[i] == nullptr)
        throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                    std::string(d->hook) + ": tensor " + std::to_string(i) + " of the batch is NULL");
      kept.push_back(volt::unwrap(tensors[i]));
    }
    d->batch->clear();
    for (auto& t : kept) d->batch->push(std::move(t));
  });
}

// Points `a` at `d`'s functions.
void attach(volt_hook_args& a, HookContext& d, int32_t hook) {
  d.hook = hook_name(hook);
  a.default_ctx = &d;
  a.run_default = run_default_step;
  a.clip_gradients = clip_with;
  a.replace_batch = replace_host_batch;
  a.gradient_clip_val = std::nan("");
}

}  // namespace

bool Trainer::module_replaces(int32_t hook) const {
  return c_.module->implements_hook != nullptr && module_hooks_.has(hook);
}

void Trainer::call_module_hook(int32_t hook, volt_hook_args args) {
  args.struct_size = volt::abi_size(&args);
  args.stage = stage_;
  args.module = c_.module.get();
  HookScope scope(hook_, hook);
  call_module(hook, args);
}

void Trainer::call_replacing_hook(int32_t hook, volt_hook_args args,
                                  const std::function<void()>& default_step) {
  HookContext d;
  d.run = &default_step;
  attach(args, d, hook);
  call_module_hook(hook, args);
}

void Trainer::zero_grad(size_t k, int64_t batch_idx) {
  volt_optimizer* opt = optimizers_[k].optimizer;
  // The common case calls the optimizer directly: no std::function on the per-step path.
  if (!module_replaces(VOLT_HOOK_OPTIMIZER_ZERO_GRAD))
    return c_.module.check(opt->zero_grad(opt, true), "zero_grad");
  std::function<void()> own = [&] { c_.module.check(opt->zero_grad(opt, true), "zero_grad"); };
  volt_hook_args a{};
  a.optimizer_idx = static_cast<int32_t>(k);
  a.batch_idx = batch_idx;
  call_replacing_hook(VOLT_HOOK_OPTIMIZER_ZERO_GRAD, a, own);
}

void Trainer::step_optimizer(size_t k, int64_t batch_idx) {
  if (!module_replaces(VOLT_HOOK_OPTIMIZER_STEP)) return optimizer_step(optimizers_[k]);
  std::function<void()> own = [&] { optimizer_step(optimizers_[k]); };
  volt_hook_args a{};
  a.optimizer_idx = static_cast<int32_t>(k);
  a.batch_idx = batch_idx;
  call_replacing_hook(VOLT_HOOK_OPTIMIZER_STEP, a, own);
}

void Trainer::configure_gradient_clipping(size_t k) {
  volt_optimizer* opt = optimizers_[k].optimizer;
  if (!module_replaces(VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING)) {
    if (options_.gradient_clip_val)
      clip_gradients(opt, *options_.gradient_clip_val, options_.gradient_clip_algorithm);
    return;
  }
  std::function<void(double, const std::string&)> clip = [&](double v, const std::string& algo) {
    if (algo != "norm" && algo != "value")
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "clip_gradients: gradient_clip_algorithm '" + algo + "' is not 'norm' or 'value'");
    if (v > 0) clip_gradients(opt, v, algo);
  };
  HookContext d;
  d.clip = &clip;
  volt_hook_args a{};
  attach(a, d, VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING);
  a.optimizer_idx = static_cast<int32_t>(k);
  if (options_.gradient_clip_val) {
    a.gradient_clip_val = *options_.gradient_clip_val;
    a.gradient_clip_algorithm = options_.gradient_clip_algorithm.c_str();
  }
  call_module_hook(VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING, a);
}

void Trainer::clip_gradients(volt_optimizer* optimizer, double clip_val,
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
  auto by_norm = c_.strategy->clip_grad_norm;
  if (by_norm != nullptr)
    c_.strategy.check(by_norm(c_.strategy.get(), optimizer, clip_val, 2.0, nullptr), "clip_grad_norm");
  else
    torch::nn::utils::clip_grad_norm_(params(), clip_val);
}

void Trainer::transfer_batch(HostBatch& batch) {
  bool before = module_hooks_.has(VOLT_HOOK_ON_BEFORE_BATCH_TRANSFER);
  bool after = module_hooks_.has(VOLT_HOOK_ON_AFTER_BATCH_TRANSFER);
  bool own = module_replaces(VOLT_HOOK_TRANSFER_BATCH_TO_DEVICE);
  auto strategy_transfer = [&] {
    c_.strategy.check(c_.strategy->batch_to_device(c_.strategy.get(), batch.data(), batch.size()),
                      "batch_to_device");
  };
  if (!before && !after && !own) return strategy_transfer();
  std::function<void()> to_device = strategy_transfer;
  auto run = [&](int32_t hook, const std::function<void()>* step) {
    HookContext d;
    d.run = step;
    d.batch = &batch;
    volt_hook_args a{};
    attach(a, d, hook);
    a.batch = batch.data();
    a.batch_len = batch.size();
    a.device = root_device_.c_str();
    call_module_hook(hook, a);
  };
  if (before) run(VOLT_HOOK_ON_BEFORE_BATCH_TRANSFER, nullptr);
  if (own) run(VOLT_HOOK_TRANSFER_BATCH_TO_DEVICE, &to_device);
  else to_device();
  if (after) run(VOLT_HOOK_ON_AFTER_BATCH_TRANSFER, nullptr);
}

}  // namespace volt::host
