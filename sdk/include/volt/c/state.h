/* State dicts (an optimizer's, an LR scheduler's) crossing the ABI for checkpoints, without
 * copying their tensors.
 *
 * A state dict is a JSON document (UTF-8) in which
 *   - each tensor is {"__tensor__": k}, k indexing the tensors passed beside it (0, 1, ...),
 *   - a tuple is {"__tuple__": [...]},
 *   - a dict with integer keys is {"__int_dict__": [[key, value], ...]} (Python's optimizer
 *     state is keyed by parameter index),
 * and everything else is plain JSON. Tensors cross as handles (volt/c/tensor.h): a state of
 * hundreds of megabytes costs no copy on either side.
 */
#ifndef VOLT_C_STATE_H
#define VOLT_C_STATE_H

#include "abi.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a plugin writes a state dict into. The sink and everything passed to it are borrowed
 * for the duration of the call that received the sink. [main-thread] */
typedef struct volt_state_sink {
  void* ctx;
  /* Tensor k, in increasing k from 0, before `structure`. Borrowed for this call: the receiver
   * retains it (host->tensor_retain) to keep it. */
  void (*tensor)(void* ctx, size_t k, volt_tensor* borrowed);
  /* The JSON structure, once, after every tensor. */
  void (*structure)(void* ctx, const char* json);
} volt_state_sink;

/* A state dict handed to a plugin to restore. Everything is borrowed for the call; the plugin
 * copies (or retains) what it keeps. */
typedef struct volt_state_view {
  size_t struct_size;
  const char* json;
  size_t tensor_count;
  volt_tensor* const* tensors;
} volt_state_view;
/* The struct_size of a volt_state_view of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_STATE_VIEW_SIZE VOLT_STRUCT_SIZE(volt_state_view, tensors)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_STATE_H */
