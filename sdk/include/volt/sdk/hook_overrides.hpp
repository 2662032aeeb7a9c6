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

#define VOLT_DETAIL_OVERRIDE_TRAIT(name)                                                       \
  template <class T, class Base, class = void>                                                 \
  struct overrides_##name : std::true_type {};                                                 \
  template <class T, class Base>                                                               \
  struct overrides_##name<                                                                     \
      T, Base, std::enable_if_t<std::is_same_v<decltype(&T::name), decltype(&Base::name)>>>    \
      : std::false_type {};

VOLT_DETAIL_OVERRIDE_TRAIT(setup)
VOLT_DETAIL_OVERRIDE_TRAIT(teardown)
VOLT_DETAIL_OVERRIDE_TRAIT(on_fit_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_fit_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_sanity_check_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_sanity_check_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_train_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_train_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_train_epoch_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_train_epoch_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_train_batch_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_train_batch_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_validation_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_validation_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_validation_epoch_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_validation_epoch_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_validation_batch_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_validation_batch_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_test_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_test_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_test_epoch_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_test_epoch_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_test_batch_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_test_batch_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_predict_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_predict_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_predict_epoch_start)
VOLT_DETAIL_OVERRIDE_TRAIT(on_predict_epoch_end)
VOLT_DETAIL_OVERRIDE_TRAIT(on_before_backward)
VOLT_DETAIL_OVERRIDE_TRAIT(on_after_backward)
VOLT_DETAIL_OVERRIDE_TRAIT(on_before_optimizer_step)
VOLT_DETAIL_OVERRIDE_TRAIT(on_before_zero_grad)
VOLT_DETAIL_OVERRIDE_TRAIT(on_exception)

#undef VOLT_DETAIL_OVERRIDE_TRAIT

// The hooks on_hook does something for, for a class T derived from Base (LightningModule or
// Callback). Hooks whose base implementation does something stay in the set.
template <class T, class Base>
constexpr HookSet overridden_hooks() {
  HookSet s;
#define VOLT_DETAIL_HOOK(id, name) s.set(id, overrides_##name<T, Base>::value)
  VOLT_DETAIL_HOOK(VOLT_HOOK_TEARDOWN, teardown);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_FIT_START, on_fit_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_FIT_END, on_fit_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TRAIN_START, on_train_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TRAIN_END, on_train_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TRAIN_EPOCH_START, on_train_epoch_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TRAIN_EPOCH_END, on_train_epoch_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TRAIN_BATCH_START, on_train_batch_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TRAIN_BATCH_END, on_train_batch_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_VALIDATION_START, on_validation_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_VALIDATION_END, on_validation_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_VALIDATION_EPOCH_START, on_validation_epoch_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_VALIDATION_EPOCH_END, on_validation_epoch_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_VALIDATION_BATCH_START, on_validation_batch_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_VALIDATION_BATCH_END, on_validation_batch_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TEST_START, on_test_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TEST_END, on_test_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TEST_EPOCH_START, on_test_epoch_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TEST_EPOCH_END, on_test_epoch_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TEST_BATCH_START, on_test_batch_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_TEST_BATCH_END, on_test_batch_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_PREDICT_START, on_predict_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_PREDICT_END, on_predict_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_PREDICT_EPOCH_START, on_predict_epoch_start);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_PREDICT_EPOCH_END, on_predict_epoch_end);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_BEFORE_BACKWARD, on_before_backward);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_AFTER_BACKWARD, on_after_backward);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_BEFORE_OPTIMIZER_STEP, on_before_optimizer_step);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_BEFORE_ZERO_GRAD, on_before_zero_grad);
  VOLT_DETAIL_HOOK(VOLT_HOOK_ON_EXCEPTION, on_exception);
  if constexpr (std::is_base_of_v<Callback, Base>) {
    VOLT_DETAIL_HOOK(VOLT_HOOK_ON_SANITY_CHECK_START, on_sanity_check_start);
    VOLT_DETAIL_HOOK(VOLT_HOOK_ON_SANITY_CHECK_END, on_sanity_check_end);
    // setup is a callback's first hook: the adapter learns the module there (set_module).
    s.set(VOLT_HOOK_SETUP, true);
  } else {
    VOLT_DETAIL_HOOK(VOLT_HOOK_SETUP, setup);
    // Their defaults switch the module to eval / train mode.
    s.set(VOLT_HOOK_ON_VALIDATION_MODEL_EVAL, true);
    s.set(VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN, true);
  }
#undef VOLT_DETAIL_HOOK
  return s;
}

}  // namespace volt::detail
