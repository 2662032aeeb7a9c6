/* Services the host offers every plugin: errors, the host's log, cancellation, tensor handles,
 * metric logging (Lightning's self.log) and the trainer's state.
 *
 * The host passes one `volt_host_api` table to the library's init() and to every create(); the
 * table and everything it points to lives until the process exits. Each plugin instance also
 * gets its own `volt_host_context*`, valid until the instance's destroy() returns; pass it back
 * to the functions that take one so the host knows which plugin is speaking.
 */
#ifndef VOLT_C_HOST_H
#define VOLT_C_HOST_H

#include "abi.h"
#include "optimizer.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct volt_host_context volt_host_context;

/* Severity for host->log. */
enum {
  VOLT_LOG_DEBUG = 0,
  VOLT_LOG_INFO = 1,
  VOLT_LOG_WARNING = 2,
  VOLT_LOG_ERROR = 3
};

/* Trainer stages (Lightning's TrainerFn plus the sanity check). */
enum {
  VOLT_STAGE_FIT = 0,
  VOLT_STAGE_VALIDATE = 1,
  VOLT_STAGE_TEST = 2,
  VOLT_STAGE_PREDICT = 3
};

/* Reductions for self.log's reduce_fx and for strategy all-reduce. */
enum {
  VOLT_REDUCE_MEAN = 0,
  VOLT_REDUCE_SUM = 1,
  VOLT_REDUCE_MAX = 2,
  VOLT_REDUCE_MIN = 3
};

/* Tri-state for options whose default depends on the calling hook. */
enum { VOLT_DEFAULT = -1, VOLT_FALSE = 0, VOLT_TRUE = 1 };

/* Arguments of host->log_metric, mirroring LightningModule.log. */
typedef struct volt_log_args {
  size_t struct_size;
  const char* name;     /* borrowed */
  volt_tensor* value;   /* borrowed; a one-element tensor. NULL: `scalar` is the value */
  double scalar;
  int32_t on_step;      /* VOLT_DEFAULT: Lightning's default for the current hook */
  int32_t on_epoch;     /* VOLT_DEFAULT likewise */
  int32_t reduce_fx;    /* VOLT_REDUCE_*; default mean */
  bool prog_bar;
  bool logger;          /* send to loggers (default true) */
  bool sync_dist;       /* reduce across ranks through the strategy */
  bool rank_zero_only;
  int64_t batch_size;   /* <= 0: taken from the current batch */
} volt_log_args;
/* The struct_size of a volt_log_args of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_LOG_ARGS_SIZE VOLT_STRUCT_SIZE(volt_log_args, batch_size)

/* What the trainer is doing now. Filled by host->trainer_state. */
typedef struct volt_trainer_state {
  size_t struct_size;
  int32_t stage;         /* VOLT_STAGE_* */
  int32_t hook;          /* VOLT_HOOK_* being run, see volt/c/hooks.h */
  bool sanity_checking;
  bool training;         /* inside the training loop (not validation) */
  int64_t current_epoch;
  int64_t global_step;   /* optimizer steps taken */
  int64_t max_epochs;    /* -1: unlimited */
  int64_t max_steps;     /* -1: unlimited */
  int32_t global_rank;
  int32_t local_rank;
  int32_t node_rank;
  int32_t world_size;
  const char* log_dir;   /* folder of the first logger, or NULL; valid until the next call */
  const char* root_dir;  /* trainer.default_root_dir; lifetime of the run */

  /* --- since ABI 1.2 (check struct_size before reading) --- */
  /* Batches the running loop will run: the training epoch's during training, else those of
   * the validation, sanity check, test or predict loop; -1 outside a loop. */
  int64_t num_batches;

  /* --- since ABI 1.9 --- */
  /* Lightning's validation schedule, for callbacks that decide where to check (ModelCheckpoint's
   * save_on_train_epoch_end, EarlyStopping's check_on_train_epoch_end). */
  int64_t num_val_batches;          /* validation batches per check after limit_val_batches; 0: none */
  int64_t check_val_every_n_epoch;  /* 0: None (validation counted in batches across epochs) */
  double val_check_interval;        /* as given: a fraction of the epoch, or a batch count */
  /* The checkpoint this fit resumed from (trainer.ckpt_path), or NULL; lifetime of the run. */
  const char* ckpt_path;
} volt_trainer_state;
/* The struct_size of a volt_trainer_state of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_TRAINER_STATE_SIZE VOLT_STRUCT_SIZE(volt_trainer_state, ckpt_path)

typedef struct volt_host_api {
  size_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* host_version; /* static */

  /* --- errors [thread-safe] --- */
  /* New error; returns a new object (never NULL). `message` is copied. */
  volt_error* (*error_new)(volt_error_code code, const char* message);
  /* Frees an error; NULL is allowed. */
  void (*error_free)(volt_error* error);
  volt_error_code (*error_code)(const volt_error* error);
  /* Message, valid as long as `error` is. */
  const char* (*error_message)(const volt_error* error);

  /* --- the host's log [thread-safe] --- */
  void (*log)(const volt_host_context* ctx, int32_t severity, const char* message);

  /* True once the user asked the run to stop (Ctrl-C, SIGTERM). Long work in a plugin should
   * poll it and return VOLT_ERROR_CANCELLED. [thread-safe] */
  bool (*is_cancelled)(const volt_host_context* ctx);

  /* --- tensor handles [thread-safe] --- */
  /* New reference to the same tensor. */
  volt_tensor* (*tensor_retain)(volt_tensor* tensor);
  /* Drops a reference; NULL is allowed. */
  void (*tensor_release)(volt_tensor* tensor);
  /* Reads a handle's data as DLPack (detached, no copy when possible). On success *out is a
   * new DLPack tensor the caller must delete. */
  volt_error* (*tensor_to_dlpack)(volt_tensor* tensor, volt_dl_managed_tensor** out);
  /* Wraps DLPack data in a handle; takes ownership of `dl` even on error. *out: new ref. */
  volt_error* (*tensor_from_dlpack)(volt_dl_managed_tensor* dl, volt_tensor** out);

  /* --- trainer interaction [main-thread] --- */
  /* Lightning's self.log. Allowed from the hooks where Lightning allows it; elsewhere it
   * returns VOLT_ERROR_FAILED_PRECONDITION naming the hook. */
  volt_error* (*log_metric)(volt_host_context* ctx, const volt_log_args* args);
  /* Fills `out` up to out->struct_size (set by the caller). */
  void (*trainer_state)(const volt_host_context* ctx, volt_trainer_state* out);
  /* Reads a callback metric (the latest logged value, as Lightning's
   * trainer.callback_metrics). Returns false when no such metric exists. */
  bool (*callback_metric)(const volt_host_context* ctx, const char* name, double* out);
  /* Asks the fit loop to stop after the current step (trainer.should_stop = True). `reason` is
   * printed; may be NULL. */
  void (*request_stop)(volt_host_context* ctx, const char* reason);

  /* --- since ABI 1.1 --- */
  /* Writes a checkpoint of the running fit to `path` (Lightning's trainer.save_checkpoint),
   * atomically: a temporary file, fsync, rename. Only rank 0 writes; every rank must call it.
   * [main-thread], only from callback hooks during fit. */
  volt_error* (*save_checkpoint)(volt_host_context* ctx, const char* path, bool weights_only);
  /* Number of optimizers the module configured (0 before configure_optimizers). [main-thread] */
  size_t (*optimizer_count)(const volt_host_context* ctx);
  /* Fills `out` (up to out->struct_size) for optimizer `index`; false when out of range.
   * [main-thread] */
  bool (*optimizer_info)(const volt_host_context* ctx, size_t index, volt_optimizer_info* out);
  /* Lightning's trainer.accumulate_grad_batches = n, as GradientAccumulationScheduler sets it;
   * takes effect from the next training batch. VOLT_ERROR_INVALID_ARGUMENT when n < 1.
   * [main-thread], only from on_train_epoch_start. */
  volt_error* (*set_accumulate_grad_batches)(volt_host_context* ctx, int64_t n);

  /* --- since ABI 1.2 --- */
  /* Lightning's trainer.progress_bar_metrics (the latest values of metrics logged with
   * prog_bar=true) as a JSON object of names to numbers; "{}" outside a run. Valid until the
   * next call of this function. [main-thread] */
  const char* (*progress_bar_metrics)(const volt_host_context* ctx);

  /* --- since ABI 1.8: collectives across the ranks of the running strategy --- */
  /* Lightning's trainer.strategy.reduce / broadcast / barrier and LightningModule.all_gather,
   * for modules and callbacks. Every rank must make the same calls in the same order, with
   * tensors of the same shape and dtype. `tensor` is borrowed for the call; on success *out
   * is a new reference the caller releases (on error it is left unset). With one process each
   * gives the tensor's values back (all_gather with a new first dimension of 1).
   * VOLT_ERROR_FAILED_PRECONDITION outside a running trainer. [main-thread], from hooks and
   * steps; not re-entrant, and never from a strategy's own functions. */
  /* The reduction (VOLT_REDUCE_*) of `tensor` over all ranks. */
  volt_error* (*reduce)(volt_host_context* ctx, volt_tensor* tensor, int32_t op,
                        volt_tensor** out);
  /* Rank `src`'s `tensor` on every rank. */
  volt_error* (*broadcast)(volt_host_context* ctx, volt_tensor* tensor, int32_t src,
                           volt_tensor** out);
  /* Every rank's `tensor` stacked in rank order along a new first dimension. */
  volt_error* (*all_gather)(volt_host_context* ctx, volt_tensor* tensor, volt_tensor** out);
  /* Blocks until every rank called it with the same `name` (borrowed; for messages). */
  volt_error* (*barrier)(volt_host_context* ctx, const char* name);
  /* --- since ABI 1.10 --- */
  /* Lightning's trainer.callback_metrics (every metric a callback may monitor, with its latest
   * value) as a JSON object of names to numbers (null for NaN and infinities), for messages
   * that list what is available; "{}" outside a run. Valid until the next call of this
   * function. [main-thread] */
  const char* (*callback_metrics_json)(const volt_host_context* ctx);
} volt_host_api;
/* The struct_size of a volt_host_api of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_HOST_API_SIZE VOLT_STRUCT_SIZE(volt_host_api, callback_metrics_json)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_HOST_H */
