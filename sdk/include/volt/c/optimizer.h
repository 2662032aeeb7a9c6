/* Optimizers and LR schedulers as the module configures them (configure_optimizers).
 *
 * The module's library owns the optimizer's code; the host and the strategy drive it only
 * through this table, so a strategy can decide when and on which parameters a step happens.
 */
#ifndef VOLT_C_OPTIMIZER_H
#define VOLT_C_OPTIMIZER_H

#include "abi.h"
#include "state.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*volt_tensor_visitor)(void* ctx, const char* name, volt_tensor* borrowed);

typedef struct volt_optimizer {
  size_t struct_size;
  void* impl; /* reserved for the plugin */
  /* Frees the optimizer and this struct. */
  void (*destroy)(struct volt_optimizer* self);
  /* Class name, as Lightning's LearningRateMonitor uses it ("SGD", "Adam"); static. */
  const char* (*name)(const struct volt_optimizer* self);
  /* One optimizer step over the current gradients. */
  volt_error* (*step)(struct volt_optimizer* self);
  /* Clears gradients; set_to_none as torch.optim.Optimizer.zero_grad. */
  volt_error* (*zero_grad)(struct volt_optimizer* self, bool set_to_none);
  size_t (*param_group_count)(const struct volt_optimizer* self);
  double (*get_lr)(const struct volt_optimizer* self, size_t group);
  void (*set_lr)(struct volt_optimizer* self, size_t group, double lr);
  /* Visits the parameters of one group (name is NULL). Handles are borrowed. */
  void (*visit_params)(const struct volt_optimizer* self, size_t group,
                       volt_tensor_visitor visit, void* ctx);

  /* --- since ABI 1.1, (optional) --- */
  /* Writes the optimizer's state_dict as Python's (a dict with "state" keyed by parameter index
   * and "param_groups" with Python's option names) to `sink` (volt/c/state.h). */
  volt_error* (*save_state)(const struct volt_optimizer* self, const volt_state_sink* sink);
  /* Restores what save_state wrote (or Python's optimizer.state_dict()). */
  volt_error* (*load_state)(struct volt_optimizer* self, const volt_state_view* state);
  /* Momentum of one group (SGD's momentum, Adam's beta1), or NaN when the optimizer has none.
   * For learning-rate monitors. */
  double (*get_momentum)(const struct volt_optimizer* self, size_t group);
} volt_optimizer;
/* The struct_size of a volt_optimizer of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_OPTIMIZER_SIZE VOLT_STRUCT_SIZE(volt_optimizer, get_momentum)

/* When the host steps a scheduler (Lightning's lr_scheduler_config). */
enum { VOLT_INTERVAL_EPOCH = 0, VOLT_INTERVAL_STEP = 1 };

/* One optimizer of the running fit as callbacks see it (Lightning's trainer.optimizers with
 * trainer.lr_scheduler_configs); filled by volt_host_api.optimizer_info. */
typedef struct volt_optimizer_info {
  size_t struct_size;
  const struct volt_optimizer* optimizer; /* borrowed; valid until the fit's teardown */
  bool has_scheduler;
  int32_t interval;           /* VOLT_INTERVAL_* of its scheduler */
  int32_t frequency;
  const char* scheduler_name; /* lr_scheduler_config name, or NULL; valid as `optimizer` */
} volt_optimizer_info;
/* The struct_size of a volt_optimizer_info of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_OPTIMIZER_INFO_SIZE VOLT_STRUCT_SIZE(volt_optimizer_info, scheduler_name)

typedef struct volt_scheduler_config {
  size_t struct_size;
  int32_t interval;     /* VOLT_INTERVAL_*; default epoch */
  int32_t frequency;    /* every N intervals; default 1 */
  const char* monitor;  /* metric for plateau schedulers, or NULL; borrowed */
  const char* name;     /* for lr monitors, or NULL; borrowed */
} volt_scheduler_config;
/* The struct_size of a volt_scheduler_config of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_SCHEDULER_CONFIG_SIZE VOLT_STRUCT_SIZE(volt_scheduler_config, name)

typedef struct volt_lr_scheduler {
  size_t struct_size;
  void* impl;
  void (*destroy)(struct volt_lr_scheduler* self);
  /* One scheduler step. `metric` is the monitored value when the config names one. */
  volt_error* (*step)(struct volt_lr_scheduler* self, bool has_metric, double metric);

  /* --- since ABI 1.1, (optional) --- */
  /* The scheduler's state_dict (Python's attribute names), as volt_optimizer.save_state. */
  volt_error* (*save_state)(const struct volt_lr_scheduler* self, const volt_state_sink* sink);
  volt_error* (*load_state)(struct volt_lr_scheduler* self, const volt_state_view* state);
} volt_lr_scheduler;
/* The struct_size of a volt_lr_scheduler of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_LR_SCHEDULER_SIZE VOLT_STRUCT_SIZE(volt_lr_scheduler, load_state)

/* Host-side collector passed to configure_optimizers. */
typedef struct volt_optimizer_sink {
  size_t struct_size;
  void* ctx;
  /* Takes ownership of `optimizer` and of `scheduler` (may be NULL) even on error. `config`
   * is borrowed and may be NULL (defaults). */
  volt_error* (*add)(void* ctx, volt_optimizer* optimizer, volt_lr_scheduler* scheduler,
                     const volt_scheduler_config* config);
} volt_optimizer_sink;
/* The struct_size of a volt_optimizer_sink of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_OPTIMIZER_SINK_SIZE VOLT_STRUCT_SIZE(volt_optimizer_sink, add)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_OPTIMIZER_H */
