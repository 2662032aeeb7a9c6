// Lightning's on_save_checkpoint / on_load_checkpoint for callbacks and the module (ABI 1.10):
// what they add to a checkpoint's top level, and the whole checkpoint handed to them on load.
#include "trainer/connectors/checkpoint_connector.hpp"

#include "trainer/plugin_state.hpp"
#include "trainer/trainer_parts.hpp"

#include <volt/sdk/state_codec.hpp>

#include <optional>

namespace volt::host {

namespace {

// Adds the top-level keys one plugin's on_save_checkpoint wrote to `checkpoint`.
void merge_added_keys(c10::impl::GenericDict& checkpoint, const c10::IValue& added,
                      const std::string& label) {
  if (added.isNone()) return;
  if (!added.isGenericDict())
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                label + ": on_save_checkpoint wrote a " + added.tagKind() +
                    ", not a dict of the keys to add to the checkpoint");
  for (const auto& e : added.toGenericDict()) {
    if (!e.key().isString())
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  label + ": on_save_checkpoint added a key that is not a string");
    const std::string& key = e.key().toStringRef();
    if (checkpoint.contains(key))
      throw Error(VOLT_ERROR_ALREADY_EXISTS,
                  label + ": on_save_checkpoint added the key '" + key +
                      "', which the checkpoint already has (Volt writes it or another plugin "
                      "added it); choose another name");
    checkpoint.insert(key, e.value());
  }
}

}  // namespace

void CheckpointConnector::add_checkpoint_keys(c10::impl::GenericDict& checkpoint, bool weights_only) {
  HookDispatcher& hooks = t_.hooks;
  // Runs one plugin's hook with a fresh sink and merges what it wrote.
  auto collect = [&](const std::string& label, auto call) {
    volt::StateCollector collected;
    volt_hook_args a{};
    a.checkpoint_out = collected.sink();
    call(hooks.complete(a));
    c10::IValue added;
    try {
      added = collected.value();
    } catch (const Error& e) {
      throw Error(e.code(), label + " (on_save_checkpoint): " + e.what());
    }
    merge_added_keys(checkpoint, added, label);
  };
  // Lightning: the callbacks' on_save_checkpoint (not for weights_only), then the module's.
  HookScope scope(t_.state.hook, VOLT_HOOK_ON_SAVE_CHECKPOINT);
  if (!weights_only)
    hooks.for_each_callback(VOLT_HOOK_ON_SAVE_CHECKPOINT, [&](const CallbackInstance& cb) {
      collect(cb.label(), [&](const volt_hook_args& a) {
        cb.check(cb->on_hook(cb.get(), VOLT_HOOK_ON_SAVE_CHECKPOINT, &a), "on_save_checkpoint");
      });
    });
  if (hooks.module_implements(VOLT_HOOK_ON_SAVE_CHECKPOINT))
    collect(t_.c.module.label(), [&](const volt_hook_args& a) {
      hooks.call_module_hook(VOLT_HOOK_ON_SAVE_CHECKPOINT, a);
    });
}

void CheckpointConnector::call_load_checkpoint(const CheckpointFile& ckpt, bool callbacks) {
  if (ckpt.kind != CheckpointFile::Kind::Lightning) return;  // a plain state_dict file
  HookDispatcher& hooks = t_.hooks;
  bool any = callbacks ? hooks.callbacks_implement(VOLT_HOOK_ON_LOAD_CHECKPOINT)
                       : hooks.module_implements(VOLT_HOOK_ON_LOAD_CHECKPOINT);
  if (!any) return;
  std::optional<volt::StateView> view;
  try {
    view.emplace(c10::IValue(ckpt.content));
  } catch (const Error& e) {
    throw Error(e.code(), "checkpoint " + ckpt.name() +
                              " cannot be passed to on_load_checkpoint: " + e.what());
  }
  volt_hook_args a{};
  a.checkpoint = view->get();
  if (!callbacks) return hooks.call_module_hook(VOLT_HOOK_ON_LOAD_CHECKPOINT, a);
  a = hooks.complete(a);
  HookScope scope(t_.state.hook, VOLT_HOOK_ON_LOAD_CHECKPOINT);
  hooks.call_callbacks(VOLT_HOOK_ON_LOAD_CHECKPOINT, a, false);
  hooks.call_callbacks(VOLT_HOOK_ON_LOAD_CHECKPOINT, a, true);
}

}  // namespace volt::host
