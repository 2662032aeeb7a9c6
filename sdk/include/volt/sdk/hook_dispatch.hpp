// Maps a C hook id and its arguments onto the virtual method of the same Lightning name, for
// LightningModules and Callbacks alike.
#pragma once

#include <volt/sdk/borrowed_batch.hpp>
#include <volt/sdk/callback.hpp>
#include <volt/sdk/module.hpp>

#include <type_traits>

namespace volt::detail {

// `buffer`: the adapter's, for the batch hooks' Batch (borrowed_batch.hpp).
template <class Target>
void dispatch_hook(Target& t, int32_t hook, const volt_hook_args* a, BatchBuffer& buffer) {
  constexpr bool kIsModule = std::is_base_of_v<LightningModule, Target>;
  static const torch::Tensor kNone;
  auto stage = static_cast<Stage>(a->stage);
  // Calls `f` with the hook's batch, which lives for that call.
  auto with_batch = [&](auto&& f) {
    BorrowedBatch b(buffer, a->batch, a->batch_len);
    f(b.get());
  };
  auto outputs = [&]() -> const torch::Tensor& { return a->outputs ? unwrap(a->outputs) : kNone; };
  switch (hook) {
    case VOLT_HOOK_SETUP: t.setup(stage); break;
    case VOLT_HOOK_TEARDOWN: t.teardown(stage); break;
    case VOLT_HOOK_ON_FIT_START: t.on_fit_start(); break;
    case VOLT_HOOK_ON_FIT_END: t.on_fit_end(); break;
    case VOLT_HOOK_ON_SANITY_CHECK_START:
      if constexpr (!kIsModule) t.on_sanity_check_start();
      break;
    case VOLT_HOOK_ON_SANITY_CHECK_END:
      if constexpr (!kIsModule) t.on_sanity_check_end();
      break;
    case VOLT_HOOK_ON_TRAIN_START: t.on_train_start(); break;
    case VOLT_HOOK_ON_TRAIN_END: t.on_train_end(); break;
    case VOLT_HOOK_ON_TRAIN_EPOCH_START: t.on_train_epoch_start(); break;
    case VOLT_HOOK_ON_TRAIN_EPOCH_END: t.on_train_epoch_end(); break;
    case VOLT_HOOK_ON_TRAIN_BATCH_START:
      with_batch([&](const Batch& b) { t.on_train_batch_start(b, a->batch_idx); });
      break;
    case VOLT_HOOK_ON_TRAIN_BATCH_END:
      with_batch([&](const Batch& b) { t.on_train_batch_end(outputs(), b, a->batch_idx); });
      break;
    case VOLT_HOOK_ON_VALIDATION_START: t.on_validation_start(); break;
    case VOLT_HOOK_ON_VALIDATION_END: t.on_validation_end(); break;
    case VOLT_HOOK_ON_VALIDATION_EPOCH_START: t.on_validation_epoch_start(); break;
    case VOLT_HOOK_ON_VALIDATION_EPOCH_END: t.on_validation_epoch_end(); break;
    case VOLT_HOOK_ON_VALIDATION_BATCH_START:
      with_batch([&](const Batch& b) { t.on_validation_batch_start(b, a->batch_idx); });
      break;
    case VOLT_HOOK_ON_VALIDATION_BATCH_END:
      with_batch([&](const Batch& b) { t.on_validation_batch_end(outputs(), b, a->batch_idx); });
      break;
    case VOLT_HOOK_ON_TEST_START: t.on_test_start(); break;
    case VOLT_HOOK_ON_TEST_END: t.on_test_end(); break;
    case VOLT_HOOK_ON_TEST_EPOCH_START: t.on_test_epoch_start(); break;
    case VOLT_HOOK_ON_TEST_EPOCH_END: t.on_test_epoch_end(); break;
    case VOLT_HOOK_ON_TEST_BATCH_START:
      with_batch([&](const Batch& b) { t.on_test_batch_start(b, a->batch_idx); });
      break;
    case VOLT_HOOK_ON_TEST_BATCH_END:
      with_batch([&](const Batch& b) { t.on_test_batch_end(outputs(), b, a->batch_idx); });
      break;
    case VOLT_HOOK_ON_PREDICT_START: t.on_predict_start(); break;
    case VOLT_HOOK_ON_PREDICT_END: t.on_predict_end(); break;
    case VOLT_HOOK_ON_PREDICT_EPOCH_START: t.on_predict_epoch_start(); break;
    case VOLT_HOOK_ON_PREDICT_EPOCH_END: t.on_predict_epoch_end(); break;
    case VOLT_HOOK_ON_PREDICT_BATCH_START:
      with_batch([&](const Batch& b) { t.on_predict_batch_start(b, a->batch_idx); });
      break;
    case VOLT_HOOK_ON_PREDICT_BATCH_END:
      with_batch([&](const Batch& b) { t.on_predict_batch_end(outputs(), b, a->batch_idx); });
      break;
    case VOLT_HOOK_ON_BEFORE_BACKWARD: t.on_before_backward(unwrap(a->loss)); break;
    case VOLT_HOOK_ON_AFTER_BACKWARD: t.on_after_backward(); break;
    case VOLT_HOOK_ON_BEFORE_OPTIMIZER_STEP: t.on_before_optimizer_step(a->optimizer_idx); break;
    case VOLT_HOOK_ON_BEFORE_ZERO_GRAD: t.on_before_zero_grad(a->optimizer_idx); break;
    case VOLT_HOOK_ON_VALIDATION_MODEL_EVAL:
      if constexpr (kIsModule) t.on_validation_model_eval();
      break;
    case VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN:
      if constexpr (kIsModule) t.on_validation_model_train();
      break;
    case VOLT_HOOK_ON_TEST_MODEL_EVAL:
      if constexpr (kIsModule) t.on_test_model_eval();
      break;
    case VOLT_HOOK_ON_TEST_MODEL_TRAIN:
      if constexpr (kIsModule) t.on_test_model_train();
      break;
    case VOLT_HOOK_ON_PREDICT_MODEL_EVAL:
      if constexpr (kIsModule) t.on_predict_model_eval();
      break;
    case VOLT_HOOK_ON_VALIDATION_MODEL_ZERO_GRAD:
      if constexpr (kIsModule) t.on_validation_model_zero_grad();
      break;
    case VOLT_HOOK_ON_EXCEPTION: t.on_exception(a->message ? a->message : ""); break;
    default: break;  // hooks this SDK version does not know: nothing to do
  }
}

}  // namespace volt::detail
