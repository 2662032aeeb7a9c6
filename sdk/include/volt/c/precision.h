/* Precision plugins: dtype of parameters and inputs, autocast around the steps, loss scaling.
 *
 * Per training batch the host calls: convert_input, forward_begin, step, forward_end,
 * pre_backward (may scale the loss), strategy backward, then before_optimizer_step (may unscale
 * gradients or ask to skip the step), clipping, the optimizer step, after_optimizer_step.
 */
#ifndef VOLT_C_PRECISION_H
#define VOLT_C_PRECISION_H

#include "abi.h"
#include "module.h"
#include "optimizer.h"
#include "state.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct volt_precision {
  size_t struct_size;
  void* impl;
  void (*destroy)(struct volt_precision* self);
  /* Lightning's precision string this plugin implements, e.g. "32-true"; static. */
  const char* (*name)(const struct volt_precision* self);
  /* Converts the module's parameters (for *-true precisions). */
  volt_error* (*convert_module)(struct volt_precision* self, volt_module* module);
  /* Converts the floating tensors of a batch in place: replaces handles of `batch` (an array
   * of `len` handles the host owns), releasing each handle it replaces. */
  volt_error* (*convert_input)(struct volt_precision* self, volt_tensor** batch, size_t len);
  /* Enters and leaves the compute context around a step (autocast). */
  volt_error* (*forward_begin)(struct volt_precision* self);
  volt_error* (*forward_end)(struct volt_precision* self);
  /* Returns the tensor to call backward on (the scaled loss). `loss` is borrowed for the call;
   * *out is a new reference the host releases after backward (it may be `loss` retained). */
  volt_error* (*pre_backward)(struct volt_precision* self, volt_tensor* loss, volt_tensor** out);
  /* After backward: unscale gradients; *skip = true skips this optimizer step. */
  volt_error* (*before_optimizer_step)(struct volt_precision* self, volt_optimizer* optimizer,
                                       bool* skip);
  /* After the optimizer step (or the skip): update scaler state. */
  volt_error* (*after_optimizer_step)(struct volt_precision* self, volt_optimizer* optimizer);

  /* --- since ABI 1.2, (optional) --- */
  /* State for checkpoints (a loss scaler's scale and counters), as volt/c/state.h. Writing
   * nothing or an empty object saves none, as Lightning saves none for an empty state_dict.
   * [main-thread] */
  volt_error* (*save_state)(struct volt_precision* self, const volt_state_sink* sink);
  /* Restores what save_state wrote; `state` is borrowed for the call. [main-thread] */
  volt_error* (*load_state)(struct volt_precision* self, const volt_state_view* state);
  /* The checkpoint key of that state: Lightning's precision plugin class name, e.g.
   * "MixedPrecision"; static. NULL or missing: "PrecisionPlugin". */
  const char* (*state_key)(const struct volt_precision* self);
} volt_precision;
/* The struct_size of a volt_precision of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_PRECISION_SIZE VOLT_STRUCT_SIZE(volt_precision, state_key)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_PRECISION_H */
