/* Logger plugins: receive scalar metrics and hyper-parameters, write them somewhere.
 * Loggers see plain doubles, so one can be written in C without LibTorch.
 *
 * Loggers exist on rank 0 only: with several processes no other rank creates one, so every
 * function below runs on global rank 0, on the trainer thread ([main-thread]), never
 * re-entered. Strings and arrays passed in are borrowed for the call. */
#ifndef VOLT_C_LOGGER_H
#define VOLT_C_LOGGER_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct volt_metric {
  const char* name; /* borrowed */
  double value;
} volt_metric;

typedef struct volt_logger {
  size_t struct_size;
  void* impl;
  void (*destroy)(struct volt_logger* self);
  /* Folder this logger writes to (Lightning's log_dir), or NULL; valid until destroy. The
   * first logger's folder also receives checkpoints and the resolved config. */
  const char* (*log_dir)(struct volt_logger* self);
  /* Hyper-parameters as a JSON object; borrowed. */
  volt_error* (*log_hyperparams)(struct volt_logger* self, const char* json);
  /* One row of metrics at `step`. Arrays borrowed for the call. */
  volt_error* (*log_metrics)(struct volt_logger* self, const volt_metric* metrics, size_t count,
                             int64_t step);
  /* Flushes buffered data. */
  volt_error* (*save)(struct volt_logger* self);
  /* Ends the run; status is "success", "failed" or "interrupted". */
  volt_error* (*finalize)(struct volt_logger* self, const char* status);
} volt_logger;
/* The struct_size of a volt_logger of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_LOGGER_SIZE VOLT_STRUCT_SIZE(volt_logger, finalize)

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_LOGGER_H */
