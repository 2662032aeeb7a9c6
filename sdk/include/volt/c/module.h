/* LightningModule plugins: the model, its steps and its optimizers. */
#ifndef VOLT_C_MODULE_H
#define VOLT_C_MODULE_H

#include "abi.h"
#include "hooks.h"
#include "optimizer.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which step to run. */
enum {
  VOLT_STEP_TRAINING = 0,
  VOLT_STEP_VALIDATION = 1,
  VOLT_STEP_TEST = 2,
  VOLT_STEP_PREDICT = 3
};

/* Which tensors named_tensors visits. */
enum { VOLT_TENSORS_PARAMETERS = 0, VOLT_TENSORS_BUFFERS = 1 };

typedef struct volt_step_args {
  size_t struct_size;
  int32_t step;                 /* VOLT_STEP_* */
  volt_tensor* const* batch;    /* borrowed; already on the module's device */
  size_t batch_len;
  int64_t batch_idx;
  int32_t dataloader_idx;
} volt_step_args;
/* The struct_size of a volt_step_args of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_STEP_ARGS_SIZE VOLT_STRUCT_SIZE(volt_step_args, dataloader_idx)

typedef struct volt_step_result {
  size_t struct_size;
  /* training: the loss (with its graph), required unless manual optimization; other steps:
   * optional output passed to *_batch_end. New reference owned by the host, or NULL. */
  volt_tensor* output;
  /* predict: the prediction without autograd, owned by the host, or NULL. */
  volt_dl_managed_tensor* prediction;
} volt_step_result;
/* The struct_size of a volt_step_result of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_STEP_RESULT_SIZE VOLT_STRUCT_SIZE(volt_step_result, prediction)

/* Visitor for the model summary: one row per submodule down to the asked depth. */
typedef void (*volt_layer_visitor)(void* ctx, const char* name, const char* type,
                                   int64_t num_params, int32_t depth);

typedef struct volt_module {
  size_t struct_size;
  void* impl;
  void (*destroy)(struct volt_module* self);

  /* Runs training_step / validation_step / test_step / predict_step. `args` is borrowed for
   * the call; `result` is filled up to result->struct_size (set by the host, fields zeroed),
   * its tensors new references the host releases. Every rank. It may call the host's
   * log_metric and collectives (the one re-entry into the host a step may make). */
  volt_error* (*step)(struct volt_module* self, const volt_step_args* args,
                      volt_step_result* result);
  /* Calls sink->add once per optimizer, in order (Lightning's configure_optimizers). */
  volt_error* (*configure_optimizers)(struct volt_module* self, const volt_optimizer_sink* sink);
  /* Visits parameters or buffers with their fully qualified names (the state_dict keys that
   * Python's load_state_dict expects). Handles are borrowed. */
  volt_error* (*named_tensors)(struct volt_module* self, int32_t which, volt_tensor_visitor visit,
                               void* ctx);
  /* Moves parameters and buffers to `device` ("cpu", "cuda:0") and, when dtype_code >= 0, to
   * that floating dtype (VOLT_DL_FLOAT/BFLOAT with `dtype_bits`). */
  volt_error* (*to)(struct volt_module* self, const char* device, int32_t dtype_code,
                    int32_t dtype_bits);
  /* module.train(mode) */
  volt_error* (*set_training)(struct volt_module* self, bool training);
  /* Lifecycle hooks; unknown ids return NULL. `args` is borrowed. Every rank. Like step it
   * may call the host's log_metric, collectives and trainer functions. */
  volt_error* (*on_hook)(struct volt_module* self, int32_t hook, const volt_hook_args* args);
  /* Hyper-parameters as a JSON object (Lightning's save_hyperparameters); valid until destroy. */
  const char* (*hparams_json)(struct volt_module* self);
  /* (optional) Model summary rows down to max_depth (1 = top-level children). */
  void (*visit_layers)(struct volt_module* self, int32_t max_depth, volt_layer_visitor visit,
                       void* ctx);
  /* (optional) false: the module steps its own optimizers (manual optimization). Default true. */
  bool (*automatic_optimization)(struct volt_module* self);
  /* --- since ABI 1.7, (optional) --- */
  /* False when on_hook would do nothing for `hook` (the plugin does not implement it), so the
   * host skips those calls, as Lightning skips hooks that are not overridden; true otherwise.
   * Asked once per hook id, after create and before the first hook; the answers must not
   * change while the instance lives. NULL: every hook is called. */
  bool (*implements_hook)(struct volt_module* self, int32_t hook);
} volt_module;
/* The struct_size of a volt_module of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_MODULE_SIZE VOLT_STRUCT_SIZE(volt_module, implements_hook)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_MODULE_H */
