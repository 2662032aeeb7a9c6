/* The one symbol a plugin library exports, its descriptors and how instances are created.
 *
 * Loading sequence (host side):
 *  1. dlopen the library (RTLD_NOW | RTLD_LOCAL) and resolve VOLT_ENTRY_SYMBOL.
 *  2. Call it; it only returns a pointer to static data and must do nothing else.
 *  3. Check entry->struct_size, abi_major (must equal the host's), then entry->build (LibTorch
 *     version, _GLIBCXX_USE_CXX11_ABI, CUDA). A mismatch refuses the library with a message
 *     naming the file and both values; nothing else in it is called.
 *  4. Call init() once; then read descriptors; then create() instances as the run needs them.
 *  5. At exit: destroy every instance, then call deinit(). The library itself is never unloaded
 *     (tensors and deleters created by it may live until the process ends).
 */
#ifndef VOLT_C_PLUGIN_H
#define VOLT_C_PLUGIN_H

#include "abi.h"
#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Name of the exported entry function, of type volt_entry_fn. */
#define VOLT_ENTRY_SYMBOL "volt_entry"

/* Plugin kinds. The instance a create() returns is the struct named in the comment. */
enum {
  VOLT_KIND_MODULE = 0,     /* volt_module      (volt/c/module.h) */
  VOLT_KIND_DATAMODULE = 1, /* volt_datamodule  (volt/c/datamodule.h) */
  VOLT_KIND_STRATEGY = 2,   /* volt_strategy    (volt/c/strategy.h) */
  VOLT_KIND_PRECISION = 3,  /* volt_precision   (volt/c/precision.h) */
  VOLT_KIND_LOGGER = 4,     /* volt_logger      (volt/c/logger.h) */
  VOLT_KIND_CALLBACK = 5    /* volt_callback    (volt/c/callback.h) */
};

/* Keys of Volt's own that a config_schema may carry at its top level, beside the JSON Schema:
 *  - "x-volt-launcher": "subprocess" (strategies): the strategy runs one process per device.
 *    With trainer.devices or trainer.num_nodes above 1 and no external launcher (torchrun,
 *    SLURM), the host starts the worker processes and tells each its rank through
 *    volt_strategy_info. Without the key the strategy runs one process, and asking it for
 *    several devices is an error. A strategy with the key must implement reduce, broadcast and
 *    barrier (volt/c/strategy.h), or the host refuses it once it runs several processes.
 *  - "x-volt-module-dtype": "float16" | "bfloat16" | "float64" (precision plugins): the
 *    default dtype while the module is constructed (Lightning's "-true" precisions).
 *  - "x-volt-role": "progress_bar" (callbacks): the callback draws the progress bar, so the
 *    host does not add its default one (trainer.enable_progress_bar).
 * Unknown "x-volt-*" keys are ignored. */

/* Describes one plugin. Static data: valid until the library's deinit() returns. */
typedef struct volt_plugin_descriptor {
  size_t struct_size;
  int32_t kind;             /* VOLT_KIND_* */
  const char* id;           /* unique per kind, e.g. "mlp", "csv", "single_device" */
  const char* version;      /* the plugin's own version, e.g. "1.0.0" */
  const char* description;  /* one line */
  const char* config_schema;/* JSON Schema (draft 7 subset) of the config create() accepts */
} volt_plugin_descriptor;
/* The struct_size of a volt_plugin_descriptor of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_PLUGIN_DESCRIPTOR_SIZE VOLT_STRUCT_SIZE(volt_plugin_descriptor, config_schema)

/* Arguments of create(). Borrowed for the call. */
typedef struct volt_create_args {
  size_t struct_size;
  const volt_host_api* host;  /* lifetime of the process */
  volt_host_context* context; /* valid until the instance's destroy() returns */
  const char* config_json;    /* a JSON object already validated against config_schema and
                                 with the schema's defaults filled in */
} volt_create_args;
/* The struct_size of a volt_create_args of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_CREATE_ARGS_SIZE VOLT_STRUCT_SIZE(volt_create_args, config_json)

typedef struct volt_plugin_entry {
  size_t struct_size;
  uint32_t abi_major; /* VOLT_ABI_MAJOR the library was built with; fixed offset forever */
  uint32_t abi_minor;
  const volt_build_info* build; /* static */

  /* (optional) Called once before anything below, on the host's main thread, on every rank
   * that loads the library. `host` lives until the process exits; `library_path` is borrowed. */
  volt_error* (*init)(const volt_host_api* host, const char* library_path);
  /* (optional) Called once at exit, after every instance was destroyed; the library is never
   * unloaded afterwards (tensors and autograd nodes from it may still live). [main-thread] */
  void (*deinit)(void);

  /* Number of plugins in this library and their descriptors (index < count). [thread-safe] */
  size_t (*plugin_count)(void);
  const volt_plugin_descriptor* (*plugin_descriptor)(size_t index);

  /* Creates an instance of the plugin with descriptor `index`. On success *out_instance is a
   * new instance of the kind's struct, owned by the caller, freed with its destroy(). On error
   * *out_instance is left NULL. `args` is borrowed for the call. On the host's main thread, on
   * every rank that uses the plugin (loggers: rank 0 only). */
  volt_error* (*create)(size_t index, const volt_create_args* args, void** out_instance);
} volt_plugin_entry;
/* The struct_size of a volt_plugin_entry of this ABI version: whoever fills one sets struct_size to
 * it, never to sizeof (trailing padding would cover a field appended later). */
#define VOLT_PLUGIN_ENTRY_SIZE VOLT_STRUCT_SIZE(volt_plugin_entry, create)

/* The exported function: `VOLT_EXPORT const volt_plugin_entry* volt_entry(void);`
 * Returns a pointer to static data (or NULL, which the host reports as a broken plugin). */
typedef const volt_plugin_entry* (*volt_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* VOLT_C_PLUGIN_H */
