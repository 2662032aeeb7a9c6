// Which hooks a LightningModule or Callback class overrides, found at compile time from the
// class that VOLT_PLUGINS exports, so that the host can skip the rest (ABI 1.7's
// implements_hook; Lightning's is_overridden).
//
// A hook counts as not overridden when `&T::hook` names the base class's member; anything else
// (an override in T or in a class between T and the base, an overload, a non-public
// override) counts as overridden, so a doubt always ends in the hook being called.
#pragma once

#include <volt/c/hooks.h>
#include <volt/sdk/callback.hpp>
#include <volt/sdk/module.hpp>

#include <cstdint>
#include <type_traits>

namespace volt::detail {

// A set of hook ids (0..kIds-1; VOLT_HOOK_* ids are below VOLT_HOOK_NONE = 127).
class HookSet {
 public:
  static constexpr int32_t kIds = 128;

  static constexpr HookSet all() {
    HookSet s;
    s.bits_[0] = s.bits_[1] = ~uint64_t{0};
    return s;
  }
  constexpr void set(int32_t hook, bool on) {
    if (hook < 0 || hook >= kIds) return;
    uint64_t bit = uint64_t{1} << (hook % 64);
    bits_[hook / 64] = on ? bits_[hook / 64] | bit : bits_[hook / 64] & ~bit;
  }
  constexpr bool has(int32_t hook) const {
    return hook >= 0 && hook < kIds && ((bits_[hook / 64] >> (hook % 64)) & 1) != 0;
  }

 private:
  uint64_t bits_[2] = {0, 0};
};

// The hooks as (id, method name): those of both LightningModule and Callback whose base
// implementations do nothing, and the callback-only ones. setup and the module's eval/train
// switches are handled in overridden_hooks.
#define VOLT_DETAIL_SHARED_HOOKS(X)                                   \
  X(VOLT_HOOK_TEARDOWN, teardown)                                     \
  X(VOLT_HOOK_ON_FIT_START, on_fit_start)                             \
  X(VOLT_HOOK_ON_FIT_END, on_fit_end)                                 \
  X(VOLT_HOOK_ON_TRAIN_START, on_train_start)                         \
  X(VOLT_HOOK_ON_TRAIN_END, on_train_end)                             \
  X(VOLT_HOOK_ON_TRAIN_EPOCH_START, on_train_epoch_start)             \
  X(VOLT_HOOK_ON_TRAIN_EPOCH_END, on_train_epoch_end)                 \
  X(VOLT_HOOK_ON_TRAIN_BATCH_START, on_train_batch_start)             \
  X(VOLT_HOOK_ON_TRAIN_BATCH_END, on_train_batch_end)                 \
  X(VOLT_HOOK_ON_VALIDATION_START, on_validation_start)               \
  X(VOLT_HOOK_ON_VALIDATION_END, on_validation_end)                   \
  X(VOLT_HOOK_ON_VALIDATION_EPOCH_START, on_validation_epoch_start)   \
  X(VOLT_HOOK_ON_VALIDATION_EPOCH_END, on_validation_epoch_end)       \
  X(VOLT_HOOK_ON_VALIDATION_BATCH_START, on_validation_batch_start)   \
  X(VOLT_HOOK_ON_VALIDATION_BATCH_END, on_validation_batch_end)       \
  X(VOLT_HOOK_ON_TEST_START, on_test_start)                           \
  X(VOLT_HOOK_ON_TEST_END, on_test_end)                               \
  X(VOLT_HOOK_ON_TEST_EPOCH_START, on_test_epoch_start)               \
  X(VOLT_HOOK_ON_TEST_EPOCH_END, on_test_epoch_end)                   \
  X(VOLT_HOOK_ON_TEST_BATCH_START, on_test_batch_start)               \
  X(VOLT_HOOK_ON_TEST_BATCH_END, on_test_batch_end)                   \
  X(VOLT_HOOK_ON_PREDICT_START, on_predict_start)                     \
  X(VOLT_HOOK_ON_PREDICT_END, on_predict_end)                         \
  X(VOLT_HOOK_ON_PREDICT_EPOCH_START, on_predict_epoch_start)         \
  X(VOLT_HOOK_ON_PREDICT_EPOCH_END, on_predict_epoch_end)             \
  X(VOLT_HOOK_ON_PREDICT_BATCH_START, on_predict_batch_start)         \
  X(VOLT_HOOK_ON_PREDICT_BATCH_END, on_predict_batch_end)             \
  X(VOLT_HOOK_ON_BEFORE_BACKWARD, on_before_backward)                 \
  X(VOLT_HOOK_ON_AFTER_BACKWARD, on_after_backward)                   \
  X(VOLT_HOOK_ON_BEFORE_OPTIMIZER_STEP, on_before_optimizer_step)     \
  X(VOLT_HOOK_ON_BEFORE_ZERO_GRAD, on_before_zero_grad)               \
  X(VOLT_HOOK_ON_EXCEPTION, on_exception)                             \
  X(VOLT_HOOK_ON_SAVE_CHECKPOINT, on_save_checkpoint)                 \
  X(VOLT_HOOK_ON_LOAD_CHECKPOINT, on_load_checkpoint)

#define VOLT_DETAIL_CALLBACK_HOOKS(X)                         \
  X(VOLT_HOOK_ON_SANITY_CHECK_START, on_sanity_check_start)   \
  X(VOLT_HOOK_ON_SANITY_CHECK_END, on_sanity_check_end)

// Module-only hooks whose base implementations switch the mode: an override that does only
// that is indistinguishable, so these count as implemented unless the class leaves them alone
// (the host switches the mode itself before calling them).
#define VOLT_DETAIL_MODULE_SWITCH_HOOKS(X)                    \
  X(VOLT_HOOK_ON_TEST_MODEL_EVAL, on_test_model_eval)         \
  X(VOLT_HOOK_ON_TEST_MODEL_TRAIN, on_test_model_train)       \
  X(VOLT_HOOK_ON_PREDICT_MODEL_EVAL, on_predict_model_eval)

// Module-only hooks whose base implementations do nothing (configure_model, the batch
// hooks) or do what the trainer would (the replacing hooks of volt/c/hooks.h): implemented
// only when the class overrides them, so the host keeps its own step otherwise.
#define VOLT_DETAIL_MODULE_HOOKS(X)                                         \
  X(VOLT_HOOK_CONFIGURE_MODEL, configure_model)                             \
  X(VOLT_HOOK_OPTIMIZER_STEP, optimizer_step)                               \
  X(VOLT_HOOK_OPTIMIZER_ZERO_GRAD, optimizer_zero_grad)                     \
  X(VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING, configure_gradient_clipping)     \
  X(VOLT_HOOK_BACKWARD, backward)                                           \
  X(VOLT_HOOK_TRANSFER_BATCH_TO_DEVICE, transfer_batch_to_device)           \
  X(VOLT_HOOK_ON_BEFORE_BATCH_TRANSFER, on_before_batch_transfer)           \
  X(VOLT_HOOK_ON_AFTER_BATCH_TRANSFER, on_after_batch_transfer)             \
  X(VOLT_HOOK_CONFIGURE_CALLBACKS, configure_callbacks)                     \
  X(VOLT_HOOK_PREPARE_DATA, prepare_data)

// overrides_<name><T, Base>: false when &T::name is Base's own member, true otherwise (an
// override, an overload, or a member T does not let us name).
#define VOLT_DETAIL_OVERRIDE_TRAIT(id, name)                                                   \
  template <class T, class Base, class = void>                                                 \
  struct overrides_##name : std::true_type {};                                                 \
  template <class T, class Base>                                                               \
  struct overrides_##name<                                                                     \
      T, Base, std::enable_if_t<std::is_same_v<decltype(&T::name), decltype(&Base::name)>>>    \
      : std::false_type {};

VOLT_DETAIL_SHARED_HOOKS(VOLT_DETAIL_OVERRIDE_TRAIT)
VOLT_DETAIL_CALLBACK_HOOKS(VOLT_DETAIL_OVERRIDE_TRAIT)
VOLT_DETAIL_MODULE_SWITCH_HOOKS(VOLT_DETAIL_OVERRIDE_TRAIT)
VOLT_DETAIL_MODULE_HOOKS(VOLT_DETAIL_OVERRIDE_TRAIT)
VOLT_DETAIL_OVERRIDE_TRAIT(VOLT_HOOK_SETUP, setup)

#undef VOLT_DETAIL_OVERRIDE_TRAIT

// The hooks on_hook does something for, for a class T derived from Base (LightningModule or
// Callback). Hooks whose base implementation does something stay in the set.
template <class T, class Base>
constexpr HookSet overridden_hooks() {
  HookSet s;
#define VOLT_DETAIL_HOOK(id, name) s.set(id, overrides_##name<T, Base>::value);
  VOLT_DETAIL_SHARED_HOOKS(VOLT_DETAIL_HOOK)
  if constexpr (std::is_base_of_v<Callback, Base>) {
    VOLT_DETAIL_CALLBACK_HOOKS(VOLT_DETAIL_HOOK)
    // setup is a callback's first hook: the adapter learns the module there (set_module).
    s.set(VOLT_HOOK_SETUP, true);
  } else {
    VOLT_DETAIL_HOOK(VOLT_HOOK_SETUP, setup)
    // Their defaults switch the module to eval / train mode.
    s.set(VOLT_HOOK_ON_VALIDATION_MODEL_EVAL, true);
    s.set(VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN, true);
    s.set(VOLT_HOOK_ON_VALIDATION_MODEL_ZERO_GRAD, true);
    VOLT_DETAIL_MODULE_SWITCH_HOOKS(VOLT_DETAIL_HOOK)
    VOLT_DETAIL_MODULE_HOOKS(VOLT_DETAIL_HOOK)
  }
#undef VOLT_DETAIL_HOOK
  return s;
}

#undef VOLT_DETAIL_SHARED_HOOKS
#undef VOLT_DETAIL_CALLBACK_HOOKS
#undef VOLT_DETAIL_MODULE_SWITCH_HOOKS
#undef VOLT_DETAIL_MODULE_HOOKS

}  // namespace volt::detail
