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
} volt_hook_args;
/* The struct_size of a volt_hook_args of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_HOOK_ARGS_SIZE VOLT_STRUCT_SIZE(volt_hook_args, module)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_HOOKS_H */
