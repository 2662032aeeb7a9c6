// Maps a C hook id and its arguments onto the virtual method of the same Lightning name, for
// LightningModules and Callbacks alike.
#pragma once

#include <volt/sdk/borrowed_batch.hpp>
#include <volt/sdk/callback.hpp>
#include <volt/sdk/module.hpp>
#include <volt/sdk/state_codec.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace volt::detail {

// The checkpoint a host passed to on_load_checkpoint, as the C++ layer's dict.
inline CheckpointDict checkpoint_dict(const c10::IValue& v) {
  if (!v.isGenericDict()) throw Error(VOLT_ERROR_INVALID_ARGUMENT, "the checkpoint is not a dict");
  CheckpointDict d = new_checkpoint_dict();
  for (const auto& e : v.toGenericDict())
    if (e.key().isString()) d.insert(e.key().toStringRef(), e.value());
  return d;
}

// The optimizer of a replacing optimizer hook, from the module's configure_optimizers.
inline torch::optim::Optimizer& optimizer_at(const LightningModule& m, int32_t idx) {
  const auto& all = m.optimizers();
  if (idx < 0 || static_cast<size_t>(idx) >= all.size() || !all[static_cast<size_t>(idx)])
    throw Error(VOLT_ERROR_OUT_OF_RANGE, "the host named optimizer " + std::to_string(idx) +
                                             " of " + std::to_string(all.size()));
  return *all[static_cast<size_t>(idx)];
}

// The trainer's own step behind a replacing hook (volt/c/hooks.h, run_default).
inline void run_default_step(const volt_hook_args* a, const char* hook) {
  if (a->run_default == nullptr)
    throw Error(VOLT_ERROR_FAILED_PRECONDITION, std::string(hook) + ": the host gave no default step");
  check(a->run_default(a->default_ctx), hook);
}

// Hands a batch transfer hook's result to the host (args->replace_batch).
inline void replace_batch(const volt_hook_args* a, const Batch& batch, const char* hook) {
  if (a->replace_batch == nullptr)
    throw Error(VOLT_ERROR_FAILED_PRECONDITION, std::string(hook) + ": the host cannot take a batch");
  std::vector<volt_tensor*> handles;
  handles.reserve(batch.size());
  for (const auto& t : batch) handles.push_back(borrow(t));
  check(a->replace_batch(a->default_ctx, handles.data(), handles.size()), hook);
}

// The module-only hooks of ABI 1.10 (configure_model, the replacing and batch transfer hooks).
inline void dispatch_module_hook(LightningModule& m, int32_t hook, const volt_hook_args* a,
                                 BatchBuffer& buffer) {
  auto transfer = [&](auto&& f, const char* name) {
    Batch batch;
    {
      BorrowedBatch b(buffer, a->batch, a->batch_len);
      batch = b.get();
    }
    replace_batch(a, f(std::move(batch)), name);
  };
  switch (hook) {
    case VOLT_HOOK_CONFIGURE_MODEL: m.configure_model(); break;
    case VOLT_HOOK_PREPARE_DATA: m.prepare_data(); break;
    case VOLT_HOOK_OPTIMIZER_STEP:
      m.optimizer_step(m.current_epoch(), a->batch_idx, optimizer_at(m, a->optimizer_idx),
                       [a] { run_default_step(a, "optimizer_step"); });
      break;
    case VOLT_HOOK_OPTIMIZER_ZERO_GRAD:
      m.optimizer_zero_grad(m.current_epoch(), a->batch_idx, optimizer_at(m, a->optimizer_idx));
      break;
    case VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING: {
      if (a->clip_gradients == nullptr)
        throw Error(VOLT_ERROR_FAILED_PRECONDITION, "configure_gradient_clipping: the host cannot clip");
      LightningModule::ClipFunction clip = [a](double v, const std::string& algorithm) {
        check(a->clip_gradients(a->default_ctx, v, algorithm.c_str()), "clip_gradients");
      };
      struct Reset {
        LightningModule& m;
        ~Reset() { m.set_clip_function(nullptr); }
      } reset{m};
      m.set_clip_function(&clip);
      std::optional<double> val;
      if (!std::isnan(a->gradient_clip_val)) val = a->gradient_clip_val;
      std::optional<std::string> algorithm;
      if (a->gradient_clip_algorithm != nullptr) algorithm = a->gradient_clip_algorithm;
      m.configure_gradient_clipping(optimizer_at(m, a->optimizer_idx), val, algorithm);
      break;
    }
    case VOLT_HOOK_BACKWARD: m.backward(unwrap(a->loss)); break;
    case VOLT_HOOK_TRANSFER_BATCH_TO_DEVICE: {
      torch::Device device(a->device != nullptr ? a->device : "cpu");
      transfer([&](Batch b) { return m.transfer_batch_to_device(std::move(b), device, a->dataloader_idx); },
               "transfer_batch_to_device");
      break;
    }
    case VOLT_HOOK_ON_BEFORE_BATCH_TRANSFER:
      transfer([&](Batch b) { return m.on_before_batch_transfer(std::move(b), a->dataloader_idx); },
               "on_before_batch_transfer");
      break;
    case VOLT_HOOK_ON_AFTER_BATCH_TRANSFER:
      transfer([&](Batch b) { return m.on_after_batch_transfer(std::move(b), a->dataloader_idx); },
               "on_after_batch_transfer");
      break;
    case VOLT_HOOK_CONFIGURE_CALLBACKS: {
      if (!VOLT_HAS_FIELD(a, volt_hook_args, callbacks_out) || a->callbacks_out == nullptr) break;
      nlohmann::json specs = nlohmann::json::array();
      for (const auto& spec : m.configure_callbacks())
        specs.push_back({{"id", spec.id}, {"config", spec.config}});
      a->callbacks_out->structure(a->callbacks_out->ctx, specs.dump().c_str());
      break;
    }
    default: break;
  }
}

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
    case VOLT_HOOK_ON_SAVE_CHECKPOINT: {
      if (!VOLT_HAS_FIELD(a, volt_hook_args, checkpoint_out) || a->checkpoint_out == nullptr) break;
      CheckpointDict added = new_checkpoint_dict();
      t.on_save_checkpoint(added);
      if (!added.empty()) write_state(c10::IValue(added), a->checkpoint_out);
      break;
    }
    case VOLT_HOOK_ON_LOAD_CHECKPOINT:
      if (!VOLT_HAS_FIELD(a, volt_hook_args, checkpoint) || a->checkpoint == nullptr) break;
      t.on_load_checkpoint(checkpoint_dict(read_state(a->checkpoint)));
      break;
    default:
      if constexpr (kIsModule) {
        if (hook >= VOLT_HOOK_CONFIGURE_MODEL && hook <= VOLT_HOOK_PREPARE_DATA &&
            VOLT_HAS_FIELD(a, volt_hook_args, device))
          dispatch_module_hook(t, hook, a, buffer);
      }
      break;  // hooks this SDK version does not know: nothing to do
  }
}

}  // namespace volt::detail
