/* DataModule plugins: batches for each split, addressed by (epoch, batch index).
 *
 * Random access by index lets the trainer resume in the middle of an epoch and lets a
 * distributed strategy give each rank its own shard without the datamodule knowing why.
 */
#ifndef VOLT_C_DATAMODULE_H
#define VOLT_C_DATAMODULE_H

#include "abi.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  VOLT_SPLIT_TRAIN = 0,
  VOLT_SPLIT_VALIDATION = 1,
  VOLT_SPLIT_TEST = 2,
  VOLT_SPLIT_PREDICT = 3
};

typedef struct volt_loader_args {
  size_t struct_size;
  int32_t split;       /* VOLT_SPLIT_* */
  int64_t epoch;       /* shuffling order is a function of (seed, epoch) */
  int32_t rank;        /* shard of this process (Lightning's DistributedSampler) */
  int32_t world_size;
  int32_t shuffle;     /* VOLT_DEFAULT: the datamodule's own choice; VOLT_FALSE forces order */
} volt_loader_args;
/* The struct_size of a volt_loader_args of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_LOADER_ARGS_SIZE VOLT_STRUCT_SIZE(volt_loader_args, shuffle)

typedef struct volt_datamodule {
  size_t struct_size;
  void* impl;
  void (*destroy)(struct volt_datamodule* self);
  /* (optional) Download or check data. Called at the start of each stage, before setup, on
   * every rank (Lightning calls it on one rank per node: a datamodule whose ranks share a
   * folder writes there atomically). */
  volt_error* (*prepare_data)(struct volt_datamodule* self);
  /* (optional) Load what `stage` (VOLT_STAGE_*) needs. */
  volt_error* (*setup)(struct volt_datamodule* self, int32_t stage);
  /* Number of batches of a split for this rank; 0 when the split does not exist. */
  volt_error* (*num_batches)(struct volt_datamodule* self, const volt_loader_args* args,
                             int64_t* out);
  /* Produces batch `index` (< num_batches) of the split. Writes up to `capacity` tensors to
   * `out` and their number to *count; ownership of each passes to the caller (the host calls
   * its deleter). The first dimension of the first tensor is the batch size. `args` is
   * borrowed. Every rank asks for its own batches (args->rank of args->world_size). */
  volt_error* (*get_batch)(struct volt_datamodule* self, const volt_loader_args* args,
                           int64_t index, volt_dl_managed_tensor** out, size_t capacity,
                           size_t* count);
  /* (optional) Hyper-parameters as a JSON object; valid until destroy. */
  const char* (*hparams_json)(struct volt_datamodule* self);
} volt_datamodule;
/* The struct_size of a volt_datamodule of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_DATAMODULE_SIZE VOLT_STRUCT_SIZE(volt_datamodule, hparams_json)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_DATAMODULE_H */
