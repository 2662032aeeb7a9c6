// Hook dispatch, Lightning's _call_callback_hooks and _call_lightning_module_hook: a hook reaches
// the callbacks that implement it (in the given order, monitoring callbacks last) and then the
// module, with trainer_state().hook set to it while they run. Hook ids: volt/c/hooks.h.
#pragma once

#include "trainer/components.hpp"
#include "trainer/implemented_hooks.hpp"

#include <functional>
#include <string>
#include <vector>

namespace volt::host {

class TrainerParts;

class HookDispatcher {
 public:
  // Asks every callback and the module which hooks they implement.
  explicit HookDispatcher(TrainerParts& t);

  // The callbacks', then the module's hook, in Lightning's order for `hook`.
  void call(int32_t hook, volt_hook_args args = {});
  // The callbacks' hook alone: the non-monitoring ones, or the monitoring ones.
  void call_callbacks(int32_t hook, const volt_hook_args& args, bool monitoring);
  // The module's hook alone, with the hook as trainer_state().hook while it runs.
  void call_module_hook(int32_t hook, volt_hook_args args);
  // The module's hook in place of `default_step` (ABI 1.10), which it may run through
  // args.run_default.
  void call_replacing(int32_t hook, volt_hook_args args, const std::function<void()>& default_step);
  // on_exception of every callback, then of the module: their own errors are logged, so that
  // they never hide the error that ended the run.
  void on_exception(const std::string& message) noexcept;

  bool module_implements(int32_t hook) const { return module_hooks_.has(hook); }
  // The module claims `hook` through implements_hook (never when that is NULL).
  bool module_replaces(int32_t hook) const;
  bool callbacks_implement(int32_t hook) const;
  // Whether a callback plugin with this id is configured (a default it replaces is skipped).
  bool has_callback(const std::string& id) const;

  // The arguments completed with their ABI size, the stage and the module.
  volt_hook_args complete(volt_hook_args args) const;
  // Calls `fn(callback)` for each callback that implements `hook`, in dispatch order.
  void for_each_callback(int32_t hook, const std::function<void(const CallbackInstance&)>& fn) const;

 private:
  struct OrderedCallback {
    const CallbackInstance* instance;
    bool monitoring;
    HookSet hooks;  // those it implements
  };
  // The module's hook without changing trainer_state().hook.
  void call_module(int32_t hook, const volt_hook_args& args);

  TrainerParts& t_;
  std::vector<OrderedCallback> callbacks_;  // non-monitoring first, then monitoring
  HookSet module_hooks_;
};

}  // namespace volt::host
