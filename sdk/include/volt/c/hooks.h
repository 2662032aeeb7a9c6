/* Lifecycle hooks shared by LightningModules and callbacks, with Lightning's names.
 *
 * Hooks are delivered through one function per instance, `on_hook(self, id, args)`, so new
 * hooks are added by appending ids (a minor version bump) and an instance that does not know
 * an id returns NULL (success) for it. The host calls them in Lightning's order; see
 * docs/hooks.md for the full sequence of a fit.
 */
#ifndef VOLT_C_HOOKS_H
#define VOLT_C_HOOKS_H

#include "abi.h"
#include "state.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

struct volt_module;

enum {
  VOLT_HOOK_SETUP = 0,
  VOLT_HOOK_TEARDOWN = 1,
  VOLT_HOOK_ON_FIT_START = 2,
  VOLT_HOOK_ON_FIT_END = 3,
  VOLT_HOOK_ON_SANITY_CHECK_START = 4,
  VOLT_HOOK_ON_SANITY_CHECK_END = 5,
  VOLT_HOOK_ON_TRAIN_START = 6,
  VOLT_HOOK_ON_TRAIN_END = 7,
  VOLT_HOOK_ON_TRAIN_EPOCH_START = 8,
  VOLT_HOOK_ON_TRAIN_EPOCH_END = 9,
  VOLT_HOOK_ON_TRAIN_BATCH_START = 10,
  VOLT_HOOK_ON_TRAIN_BATCH_END = 11,
  VOLT_HOOK_ON_VALIDATION_START = 12,
  VOLT_HOOK_ON_VALIDATION_END = 13,
  VOLT_HOOK_ON_VALIDATION_EPOCH_START = 14,
  VOLT_HOOK_ON_VALIDATION_EPOCH_END = 15,
  VOLT_HOOK_ON_VALIDATION_BATCH_START = 16,
  VOLT_HOOK_ON_VALIDATION_BATCH_END = 17,
  VOLT_HOOK_ON_TEST_START = 18,
  VOLT_HOOK_ON_TEST_END = 19,
  VOLT_HOOK_ON_TEST_EPOCH_START = 20,
  VOLT_HOOK_ON_TEST_EPOCH_END = 21,
  VOLT_HOOK_ON_TEST_BATCH_START = 22,
  VOLT_HOOK_ON_TEST_BATCH_END = 23,
  VOLT_HOOK_ON_PREDICT_START = 24,
  VOLT_HOOK_ON_PREDICT_END = 25,
  VOLT_HOOK_ON_PREDICT_EPOCH_START = 26,
  VOLT_HOOK_ON_PREDICT_EPOCH_END = 27,
  VOLT_HOOK_ON_PREDICT_BATCH_START = 28,
  VOLT_HOOK_ON_PREDICT_BATCH_END = 29,
  VOLT_HOOK_ON_BEFORE_BACKWARD = 30,
  VOLT_HOOK_ON_AFTER_BACKWARD = 31,
  VOLT_HOOK_ON_BEFORE_OPTIMIZER_STEP = 32,
  VOLT_HOOK_ON_BEFORE_ZERO_GRAD = 33,
  VOLT_HOOK_ON_VALIDATION_MODEL_EVAL = 34,
  VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN = 35,
  VOLT_HOOK_ON_EXCEPTION = 36,
  /* since ABI 1.9: the mode switches of test and predict, module only. The host calls the
   * module's set_training first and the hook after it, so a module that does nothing with them
   * (or predates them) is switched all the same, and an override can undo the switch (e.g.
   * keep dropout on). ON_VALIDATION_MODEL_ZERO_GRAD: before a validation run inside fit, on a
   * batch that stepped the optimizers (Lightning frees the gradients there; the C++ default
   * sets every parameter's grad to none). */
  VOLT_HOOK_ON_TEST_MODEL_EVAL = 37,
  VOLT_HOOK_ON_TEST_MODEL_TRAIN = 38,
  VOLT_HOOK_ON_PREDICT_MODEL_EVAL = 39,
  VOLT_HOOK_ON_VALIDATION_MODEL_ZERO_GRAD = 40,
  /* --- since ABI 1.10 ---
   * Checkpoint hooks of modules and callbacks (Lightning's on_save_checkpoint /
   * on_load_checkpoint). SAVE: each time a checkpoint dict is made, on every rank (callbacks
   * first, then the module). The plugin may write one JSON object to args->checkpoint_out
   * (volt/c/state.h); its keys are added to the top level of the checkpoint, and a key the
   * checkpoint has already is an error naming the plugin and the key. LOAD: the module's
   * before its weights are loaded (every stage given a ckpt_path), the callbacks' before their
   * own state when fit resumes; args->checkpoint is the whole checkpoint dict, read-only. */
  VOLT_HOOK_ON_SAVE_CHECKPOINT = 41,
  VOLT_HOOK_ON_LOAD_CHECKPOINT = 42,
  /* Module only: after setup and before the strategy sets the module up, in every stage
   * (Lightning's configure_model: the place to build layers late; it must tolerate being
   * called again). */
  VOLT_HOOK_CONFIGURE_MODEL = 43,
  /* Module only. Each replaces one step of the trainer, so the host calls it only when the
   * module's implements_hook answers true for it (never when implements_hook is NULL), and
   * the module asks for the trainer's own step through args->run_default:
   *  - OPTIMIZER_STEP (optimizer_idx, batch_idx): the step of one optimizer, after backward.
   *    run_default runs the trainer's: the precision plugin's unscale and skip test,
   *    on_before_optimizer_step, gradient clipping, the strategy's step. A hook that does not
   *    call it skips the step (global_step does not advance). At most once per call.
   *  - OPTIMIZER_ZERO_GRAD (optimizer_idx, batch_idx): run_default = zero_grad(set_to_none).
   *  - CONFIGURE_GRADIENT_CLIPPING (optimizer_idx; gradient_clip_val and _algorithm are the
   *    trainer's options): args->clip_gradients clips this optimizer's gradients with the
   *    values it is given (Lightning's clip_gradients, through the strategy); the trainer
   *    does not clip on its own.
   *  - BACKWARD (loss, already scaled by the precision plugin): called by the strategy's
   *    backward in place of loss.backward() (the SDK's strategies do it through
   *    volt::ModuleRef::backward); run_default = loss.backward().
   *  - TRANSFER_BATCH_TO_DEVICE (batch, dataloader_idx, device): in place of the strategy's
   *    batch_to_device, which run_default performs; the result goes through
   *    args->replace_batch. */
  VOLT_HOOK_OPTIMIZER_STEP = 44,
  VOLT_HOOK_OPTIMIZER_ZERO_GRAD = 45,
  VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING = 46,
  VOLT_HOOK_BACKWARD = 47,
  VOLT_HOOK_TRANSFER_BATCH_TO_DEVICE = 48,
  /* Module only, around TRANSFER_BATCH_TO_DEVICE for every batch of every loop (batch,
   * dataloader_idx; device on the second): the hook may change the batch through
   * args->replace_batch (any number of tensors). */
  VOLT_HOOK_ON_BEFORE_BATCH_TRANSFER = 49,
  VOLT_HOOK_ON_AFTER_BATCH_TRANSFER = 50,
  /* Module only, once per command before any callback exists (Lightning's
   * configure_callbacks): the module may write to args->callbacks_out a JSON array of
   * {"id": plugin id or Lightning class name, "config": {...}}. Each replaces the configured
   * callbacks of the same id, as Lightning's do; the others are added after them. */
  VOLT_HOOK_CONFIGURE_CALLBACKS = 51,
  /* Module only: Lightning's LightningModule.prepare_data, after the datamodule's, at the start
   * of each stage, on every rank (docs/differences.md). */
  VOLT_HOOK_PREPARE_DATA = 52,
  /* Hooks that are not callbacks but are reported to the trainer's state (for self.log rules). */
  VOLT_HOOK_TRAINING_STEP = 64,
  VOLT_HOOK_VALIDATION_STEP = 65,
  VOLT_HOOK_TEST_STEP = 66,
  VOLT_HOOK_PREDICT_STEP = 67,
  VOLT_HOOK_CONFIGURE_OPTIMIZERS = 68,
  VOLT_HOOK_NONE = 127
};

/* Arguments of a hook. Fields that do not apply to a hook are zero / NULL. All pointers are
 * borrowed for the duration of the call. */
typedef struct volt_hook_args {
  size_t struct_size;
  int32_t stage;                 /* VOLT_STAGE_* (setup, teardown, and all others) */
  int64_t batch_idx;             /* *_batch_start / *_batch_end */
  int32_t dataloader_idx;
  volt_tensor* const* batch;     /* the batch's tensors, on the device */
  size_t batch_len;
  volt_tensor* outputs;          /* *_batch_end: the step's loss or output; may be NULL */
  volt_tensor* loss;             /* on_before_backward / on_after_backward */
  int32_t optimizer_idx;         /* on_before_optimizer_step / on_before_zero_grad */
  const char* message;           /* on_exception: the error text */
  struct volt_module* module;    /* the LightningModule being run */
  /* --- since ABI 1.10: the hooks named beside each field (see the ids above) --- */
  const volt_state_sink* checkpoint_out;  /* on_save_checkpoint */
  const volt_state_view* checkpoint;      /* on_load_checkpoint */
  /* The trainer's step that a replacing hook stands for; call with default_ctx. */
  void* default_ctx;
  volt_error* (*run_default)(void* default_ctx);
  /* configure_gradient_clipping: clips this optimizer's gradients to clip_val with
   * algorithm "norm" (L2 norm) or "value"; a clip_val <= 0 does nothing. */
  volt_error* (*clip_gradients)(void* default_ctx, double clip_val, const char* algorithm);
  double gradient_clip_val;             /* the trainer's option; NaN when it has none */
  const char* gradient_clip_algorithm;  /* "norm" or "value" */
  /* Batch transfer hooks: the batch becomes `tensors` (borrowed; the host retains them). */
  volt_error* (*replace_batch)(void* default_ctx, volt_tensor* const* tensors, size_t count);
  const char* device;                   /* the device batches go to ("cpu", "cuda:0") */
  const volt_state_sink* callbacks_out; /* configure_callbacks (JSON only, no tensors) */
} volt_hook_args;
/* The struct_size of a volt_hook_args of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_HOOK_ARGS_SIZE VOLT_STRUCT_SIZE(volt_hook_args, callbacks_out)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_HOOKS_H */
