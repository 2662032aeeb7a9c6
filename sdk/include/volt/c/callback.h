/* Callback plugins: react to the trainer's hooks (volt/c/hooks.h). */
#ifndef VOLT_C_CALLBACK_H
#define VOLT_C_CALLBACK_H

#include "abi.h"
#include "hooks.h"
#include "state.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct volt_callback {
  size_t struct_size;
  void* impl;
  void (*destroy)(struct volt_callback* self);
  /* Key under which the callback's state is stored in checkpoints (Lightning's state_key);
   * valid until destroy. */
  const char* (*state_key)(struct volt_callback* self);
  /* Runs a hook; unknown ids return NULL. `args` is borrowed. Every rank. It may call the
   * host's log_metric, collectives and trainer functions (save_checkpoint, request_stop). */
  volt_error* (*on_hook)(struct volt_callback* self, int32_t hook, const volt_hook_args* args);
  /* (optional) true for callbacks that save checkpoints or stop training on a metric: they run
   * after the others, as in Lightning. Default false. */
  bool (*is_monitoring)(struct volt_callback* self);
  /* (optional) State for checkpoints as a JSON object; valid until the next call. */
  const char* (*state_json)(struct volt_callback* self);
  /* (optional) Restores what state_json returned; borrowed. */
  volt_error* (*load_state_json)(struct volt_callback* self, const char* json);

  /* --- since ABI 1.1, (optional) --- */
  /* State with tensors (e.g. averaged weights), as volt/c/state.h. When set, the host saves
   * this instead of state_json; writing nothing (or an empty object) saves no state. */
  volt_error* (*save_state)(struct volt_callback* self, const volt_state_sink* sink);
  volt_error* (*load_state)(struct volt_callback* self, const volt_state_view* state);
  /* --- since ABI 1.7, (optional) --- */
  /* False when on_hook would do nothing for `hook` (the plugin does not implement it), so the
   * host skips those calls, as Lightning skips hooks that are not overridden; true otherwise.
   * Asked once per hook id, after create and before the first hook; the answers must not
   * change while the instance lives. NULL: every hook is called. */
  bool (*implements_hook)(struct volt_callback* self, int32_t hook);
} volt_callback;
/* The struct_size of a volt_callback of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_CALLBACK_SIZE VOLT_STRUCT_SIZE(volt_callback, implements_hook)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_CALLBACK_H */
