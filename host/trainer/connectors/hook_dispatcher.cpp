#include "trainer/connectors/hook_dispatcher.hpp"

#include "runtime/log.hpp"
#include "trainer/connectors/default_steps.hpp"
#include "trainer/trainer_parts.hpp"

#include <volt/sdk/abi_size.hpp>

namespace volt::host {

namespace {

bool callback_is_monitoring(const CallbackInstance& cb) {
  auto fn = cb->is_monitoring;
  return fn != nullptr && fn(cb.get());
}

}  // namespace

HookDispatcher::HookDispatcher(TrainerParts& t) : t_(t) {
  // Lightning runs callbacks in the given order, with checkpointing/monitoring ones last.
  for (bool monitoring : {false, true})
    for (const auto& cb : t.c.callbacks)
      if (callback_is_monitoring(cb) == monitoring)
        callbacks_.push_back({&cb, monitoring, implemented_hooks(cb)});
  module_hooks_ = implemented_hooks(t.c.module);
}

volt_hook_args HookDispatcher::complete(volt_hook_args args) const {
  args.struct_size = volt::abi_size(&args);
  args.stage = t_.state.stage;
  args.module = t_.c.module.get();
  return args;
}

void HookDispatcher::call_callbacks(int32_t hook, const volt_hook_args& args, bool monitoring) {
  for (const OrderedCallback& cb : callbacks_) {
    if (cb.monitoring != monitoring || !cb.hooks.has(hook)) continue;
    cb.instance->check((*cb.instance)->on_hook(cb.instance->get(), hook, &args), hook_name(hook));
  }
}

void HookDispatcher::call_module(int32_t hook, const volt_hook_args& args) {
  if (!module_hooks_.has(hook)) return;
  t_.c.module.check(t_.c.module->on_hook(t_.c.module.get(), hook, &args), hook_name(hook));
}

void HookDispatcher::call(int32_t hook, volt_hook_args args) {
  args = complete(args);
  HookScope scope(t_.state.hook, hook);
  if (hook == VOLT_HOOK_ON_TRAIN_EPOCH_END) {
    // Monitoring callbacks see what the module logged at epoch end (Lightning's FitLoop).
    call_callbacks(hook, args, false);
    call_module(hook, args);
    call_callbacks(hook, args, true);
    return;
  }
  call_callbacks(hook, args, false);
  call_callbacks(hook, args, true);
  // Sanity-check hooks exist only on callbacks.
  if (hook != VOLT_HOOK_ON_SANITY_CHECK_START && hook != VOLT_HOOK_ON_SANITY_CHECK_END)
    call_module(hook, args);
}

void HookDispatcher::call_module_hook(int32_t hook, volt_hook_args args) {
  HookScope scope(t_.state.hook, hook);
  call_module(hook, complete(args));
}

void HookDispatcher::call_replacing(int32_t hook, volt_hook_args args,
                                    const std::function<void()>& default_step) {
  DefaultSteps d;
  d.run = &default_step;
  d.attach(args, hook);
  call_module_hook(hook, args);
}

void HookDispatcher::on_exception(const std::string& message) noexcept {
  HookScope scope(t_.state.hook, VOLT_HOOK_ON_EXCEPTION);
  volt_hook_args a{};
  a.message = message.c_str();
  a = complete(a);
  auto report = [](volt_error* err) {
    if (err != nullptr) log::error("on_exception: ", take_error_message(err));
  };
  for (const OrderedCallback& cb : callbacks_)
    if (cb.hooks.has(VOLT_HOOK_ON_EXCEPTION))
      report((*cb.instance)->on_hook(cb.instance->get(), VOLT_HOOK_ON_EXCEPTION, &a));
  if (module_hooks_.has(VOLT_HOOK_ON_EXCEPTION))
    report(t_.c.module->on_hook(t_.c.module.get(), VOLT_HOOK_ON_EXCEPTION, &a));
}

bool HookDispatcher::module_replaces(int32_t hook) const {
  return t_.c.module->implements_hook != nullptr && module_hooks_.has(hook);
}

bool HookDispatcher::callbacks_implement(int32_t hook) const {
  for (const OrderedCallback& cb : callbacks_)
    if (cb.hooks.has(hook)) return true;
  return false;
}

bool HookDispatcher::has_callback(const std::string& id) const {
  for (const auto& cb : t_.c.callbacks)
    if (cb.id() == id) return true;
  return false;
}

void HookDispatcher::for_each_callback(int32_t hook,
                                       const std::function<void(const CallbackInstance&)>& fn) const {
  for (const OrderedCallback& cb : callbacks_)
    if (cb.hooks.has(hook)) fn(*cb.instance);
}

}  // namespace volt::host
