/* Strategy plugins: where the model lives and how its gradients and optimizer steps are
 * coordinated (single device now; DDP and sharded strategies use the same table).
 *
 * The host calls, per training batch: batch_to_device, the module's step, backward,
 * then (when the accumulation window closes) optimizer_step. A strategy that shards the
 * model may replace parameters, gather them around the step and reduce gradients in backward.
 */
#ifndef VOLT_C_STRATEGY_H
#define VOLT_C_STRATEGY_H

#include "abi.h"
#include "host.h"
#include "module.h"
#include "optimizer.h"
#include "state.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where this process stands.
 *
 * Since ABI 1.3 the host fills every field before it calls setup_environment with the cluster
 * environment it detected (torchrun, SLURM, or Volt's own launcher; see docs/distributed.md):
 * the ranks and world size below are then the host's proposal, which a strategy keeps (DDP) or
 * overrides (a single-process strategy reports rank 0 of 1). The strategy writes back the
 * ranks, world size and root_device. Strings the host fills live until the run ends; the
 * strategy's root_device until destroy. */
typedef struct volt_strategy_info {
  size_t struct_size;
  int32_t global_rank;
  int32_t local_rank;
  int32_t node_rank;
  int32_t world_size;
  const char* root_device; /* e.g. "cpu", "cuda:1"; valid until destroy */

  /* --- since ABI 1.3: inputs from the host (check struct_size before reading) --- */
  int32_t num_nodes;            /* trainer.num_nodes */
  int32_t local_world_size;     /* processes per node (trainer.devices) */
  const char* main_address;     /* rendezvous host (MASTER_ADDR) */
  int32_t main_port;            /* rendezvous port (MASTER_PORT) */
  const char* environment;      /* "torchelastic", "slurm" or "lightning" */
  const char* accelerator;      /* "cpu" or "cuda" */
} volt_strategy_info;
/* The struct_size of a volt_strategy_info of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_STRATEGY_INFO_SIZE VOLT_STRUCT_SIZE(volt_strategy_info, accelerator)

/* An all-reduce in flight (ABI 1.4), started by start_reduce and ended by finish_reduce. Its
 * type is the strategy's own; the host only passes the pointer back. */
typedef struct volt_pending_reduce volt_pending_reduce;

/* Receives a tensor map for checkpointing: fully qualified name -> borrowed handle. */
typedef volt_tensor_visitor volt_state_visitor;

typedef struct volt_strategy {
  size_t struct_size;
  void* impl;
  void (*destroy)(struct volt_strategy* self);

  /* Starts processes / process groups as needed and reports ranks and device. Called once,
   * before any module exists, on every rank (a collective for a multi-process strategy).
   * `out` is borrowed for the call: the host filled its inputs; the strategy writes the ranks,
   * world size and root_device. [main-thread] */
  volt_error* (*setup_environment)(struct volt_strategy* self, volt_strategy_info* out);
  /* Places the module (module->to) and wraps it as the strategy needs. `module` stays valid
   * until teardown returns; the strategy may keep it. Every rank. [main-thread] */
  volt_error* (*setup_module)(struct volt_strategy* self, volt_module* module);
  /* Called after configure_optimizers, once per optimizer (may wrap or re-shard it).
   * `optimizer` stays valid until teardown returns. Every rank. [main-thread] */
  volt_error* (*setup_optimizer)(struct volt_strategy* self, volt_optimizer* optimizer);
  /* Moves a batch to the root device: replaces each handle of `batch` (an array of `len`
   * handles the host owns) in place, releasing the one it replaces. [main-thread] */
  volt_error* (*batch_to_device)(struct volt_strategy* self, volt_tensor** batch, size_t len);
  /* loss.backward(). `loss` is borrowed for the call (the host keeps its reference).
   * `sync_gradients` is false on accumulation steps that must not communicate (Lightning's
   * block_backward_sync). Every rank calls it. [main-thread] */
  volt_error* (*backward)(struct volt_strategy* self, volt_module* module, volt_tensor* loss,
                          bool sync_gradients);
  /* optimizer.step() with whatever synchronisation the strategy needs. Both arguments are
   * borrowed. Every rank. [main-thread] */
  volt_error* (*optimizer_step)(struct volt_strategy* self, volt_module* module,
                                volt_optimizer* optimizer);
  /* All-reduce of a tensor across ranks: `tensor` is borrowed for the call; *out is a new
   * reference the caller releases. Every rank calls it, in the same order as its other
   * collectives. Since ABI 1.8 it may be NULL, meaning one process (the host returns the
   * tensor itself); the host refuses a strategy that runs several processes without it.
   * [main-thread] */
  volt_error* (*reduce)(struct volt_strategy* self, volt_tensor* tensor, int32_t op,
                        volt_tensor** out);
  /* Blocks until every rank reached a barrier of the same name (`name` borrowed, for
   * messages). Every rank calls it. NULL since ABI 1.8: one process, as for reduce.
   * [main-thread] */
  volt_error* (*barrier)(struct volt_strategy* self, const char* name);
  /* Visits the module's full state for a checkpoint (gathering shards when needed): `visit`
   * receives borrowed handles, valid during the visit only. Every rank calls it when a
   * checkpoint is saved (a sharding strategy gathers here); rank 0's result is written.
   * [main-thread] */
  volt_error* (*module_state)(struct volt_strategy* self, volt_module* module,
                              volt_state_visitor visit, void* ctx);
  /* (optional) Releases process groups and devices; at the end of every stage, every rank.
   * [main-thread] */
  volt_error* (*teardown)(struct volt_strategy* self);

  /* --- since ABI 1.3 --- */
  /* (optional) Broadcast of `tensor` from rank `src` to every rank: `tensor` is borrowed for
   * the call; *out is a new reference (the caller releases it) holding rank src's values on
   * every rank. Every rank must call it. NULL: one process, as for reduce. [main-thread] */
  volt_error* (*broadcast)(struct volt_strategy* self, volt_tensor* tensor, int32_t src,
                           volt_tensor** out);

  /* --- since ABI 1.4 --- */
  /* (optional) Starts the all-reduce that `reduce` does and returns without waiting for the
   * other ranks. `tensor` is borrowed for the call only (the strategy copies what it sends).
   * On success *out is a pending reduction that the caller owns and must end with
   * finish_reduce exactly once, before teardown; on error *out is left unset. Every rank must
   * start the same reductions in the same order relative to its other collectives.
   * [main-thread] */
  volt_error* (*start_reduce)(struct volt_strategy* self, volt_tensor* tensor, int32_t op,
                              volt_pending_reduce** out);
  /* (optional; present whenever start_reduce is) Ends `pending`. With `out` non-NULL it waits
   * for the reduction and stores a new reference to the result in *out; with `out` NULL it
   * gives the reduction up without waiting (cleanup after an error; the strategy lets it
   * finish in the background). `pending` is freed when this returns, also on error.
   * [main-thread] */
  volt_error* (*finish_reduce)(struct volt_strategy* self, volt_pending_reduce* pending,
                               volt_tensor** out);

  /* --- since ABI 1.5: what a strategy that shards the model needs (all optional) --- */
  /* Before each step of the module: training, validation (also the sanity check's), test and
   * predict; `step` is a VOLT_STEP_* value. A sharding strategy gathers the parameters the
   * step reads. [main-thread] */
  volt_error* (*step_begin)(struct volt_strategy* self, volt_module* module, int32_t step);
  /* After that step is over: an evaluation step once the module's step returned; a training
   * step once its backward and, when the batch closed an accumulation window, its optimizer
   * steps are done. A sharding strategy frees what step_begin gathered. [main-thread] */
  volt_error* (*step_end)(struct volt_strategy* self, volt_module* module, int32_t step);
  /* Writes to `sink` (borrowed for the call) what optimizer->save_state writes on a single
   * device: the state of the whole model, gathered from every rank's shard. Every rank calls
   * it when a checkpoint is saved, as module_state. When NULL the host calls
   * optimizer->save_state itself. [main-thread] */
  volt_error* (*optimizer_state)(struct volt_strategy* self, volt_optimizer* optimizer,
                                 const volt_state_sink* sink);
  /* Restores such a state (or a single-device checkpoint's) into a sharded optimizer: each
   * rank keeps its own part. `state` is borrowed for the call. When NULL the host calls
   * optimizer->load_state itself. [main-thread] */
  volt_error* (*load_optimizer_state)(struct volt_strategy* self, volt_optimizer* optimizer,
                                      const volt_state_view* state);
  /* Scales the gradients of `optimizer`'s parameters so that their norm over all ranks'
   * shards is at most max_norm (torch.nn.utils.clip_grad_norm_ on the unsharded model) and
   * stores that norm, before clipping, in *total_norm (may be NULL). When NULL the host clips
   * the gradients it sees itself. [main-thread] */
  volt_error* (*clip_grad_norm)(struct volt_strategy* self, volt_optimizer* optimizer,
                                double max_norm, double norm_type, double* total_norm);

  /* --- since ABI 1.6: sharded checkpoints (all optional) --- */
  /* True when checkpoints are to be saved sharded (Lightning FSDP's state_dict_type="sharded"):
   * every rank then writes its own file of a checkpoint folder, with the state the two
   * functions below give, instead of rank 0 writing one file of gathered state. NULL or false:
   * the host gathers through module_state and optimizer_state. [main-thread] */
  bool (*saves_sharded)(const struct volt_strategy* self);
  /* This rank's part of the module state, written to `sink` (borrowed for the call) as a dict
   * name -> entry in module_state's order. An entry is a tensor every rank holds whole, or a
   * shard: {"volt_shard": piece, "offset": k, "shape": [d0, d1, ...]}, the rank holding the
   * 1-D `piece` of the whole tensor's flattened (row-major) values starting at element k. The
   * pieces of all ranks tile the whole; consolidating a checkpoint concatenates them. Every
   * rank calls it. [main-thread] */
  volt_error* (*module_state_shard)(struct volt_strategy* self, volt_module* module,
                                    const volt_state_sink* sink);
  /* This rank's part of `optimizer`'s state, as optimizer_state would write it with every
   * per-parameter tensor this rank holds a part of written as a shard (above). Every rank
   * calls it. [main-thread] */
  volt_error* (*optimizer_state_shard)(struct volt_strategy* self, volt_optimizer* optimizer,
                                       const volt_state_sink* sink);

  /* --- since ABI 1.8: a strategy's own state, and Lightning's strategy hooks (all optional) --- */
  /* This rank's own state for a checkpoint, written to `sink` (borrowed for the call) as a
   * dict; an empty dict on every rank means none. Every rank calls it when a checkpoint is
   * saved; the host gathers the ranks' states to the writer and keeps them in the checkpoint
   * as "volt_strategy_states": [state of rank 0, state of rank 1, ...]. State that differs
   * between ranks (each replica's weights and optimizer state in a strategy that does not
   * keep the replicas equal) belongs here. [main-thread] */
  volt_error* (*save_state)(struct volt_strategy* self, const volt_state_sink* sink);
  /* Restores what save_state wrote on this rank (the checkpoint's entry for this global
   * rank), after the module weights and the optimizer and scheduler states were restored, so
   * that the strategy may replace them with this rank's own. `state` is borrowed for the
   * call. The host refuses a checkpoint saved by another number of ranks. [main-thread] */
  volt_error* (*load_state)(struct volt_strategy* self, const volt_state_view* state);
  /* After the callbacks' and the module's on_train_start (Lightning's strategy hook), on every
   * rank. [main-thread] */
  volt_error* (*on_train_start)(struct volt_strategy* self);
  /* After the callbacks' and the module's on_train_end, before on_fit_end, on every rank. A
   * strategy whose replicas differ makes them equal here. [main-thread] */
  volt_error* (*on_train_end)(struct volt_strategy* self);
  /* Every rank's `tensor` (borrowed; the same shape on every rank) stacked in rank order
   * along a new first dimension; *out is a new reference the caller releases. Every rank
   * calls it. NULL: the host gathers through broadcast, one rank at a time. [main-thread] */
  volt_error* (*all_gather)(struct volt_strategy* self, volt_tensor* tensor, volt_tensor** out);
} volt_strategy;
/* The struct_size of a volt_strategy of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_STRATEGY_SIZE VOLT_STRUCT_SIZE(volt_strategy, all_gather)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_STRATEGY_H */
