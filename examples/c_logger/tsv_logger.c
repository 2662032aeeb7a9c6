/* `tsv`: a logger written in plain C against the C header alone (no C++, no LibTorch).
 *
 * It writes <save_dir>/metrics.tsv: a header line, then one line per logged value,
 * "step<TAB>name<TAB>value", and "# status<TAB><status>" at the end. It shows everything a C
 * plugin provides: the entry table, a descriptor with its JSON Schema, create() reading the
 * host's JSON config, and the logger table with errors returned as values.
 *
 * Build: any C99 compiler, the headers of sdk/include, `-fvisibility=hidden` optional (only
 * volt_entry is exported). Load: `volt fit --plugin-dir <folder of the .so> --logger=tsv`. */
#include <volt/volt.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const volt_host_api* g_host; /* set by init(); lives until the process exits */

typedef struct tsv_logger {
  volt_logger table; /* first, so that a volt_logger* is a tsv_logger* */
  FILE* file;
  char path[4096];
} tsv_logger;

static volt_error* fail(volt_error_code code, const char* what, const char* path) {
  char message[4200];
  snprintf(message, sizeof message, "tsv: %s %s: %s", what, path, strerror(errno));
  return g_host->error_new(code, message);
}

static void tsv_destroy(volt_logger* self) {
  tsv_logger* t = (tsv_logger*)self;
  if (t->file != NULL) fclose(t->file);
  free(t);
}

static const char* tsv_log_dir(volt_logger* self) {
  (void)self;
  return NULL; /* no run folder: checkpoints go to the trainer's default_root_dir */
}

static volt_error* tsv_log_hyperparams(volt_logger* self, const char* json) {
  tsv_logger* t = (tsv_logger*)self;
  if (fprintf(t->file, "# hparams\t%s\n", json) < 0) return fail(VOLT_ERROR_DATA_LOSS, "cannot write", t->path);
  return NULL;
}

static volt_error* tsv_log_metrics(volt_logger* self, const volt_metric* metrics, size_t count,
                                   int64_t step) {
  tsv_logger* t = (tsv_logger*)self;
  for (size_t i = 0; i < count; ++i)
    if (fprintf(t->file, "%lld\t%s\t%.17g\n", (long long)step, metrics[i].name, metrics[i].value) < 0)
      return fail(VOLT_ERROR_DATA_LOSS, "cannot write", t->path);
  return NULL; /* stdio buffers; save() and finalize() flush */
}

static volt_error* tsv_save(volt_logger* self) {
  tsv_logger* t = (tsv_logger*)self;
  return fflush(t->file) == 0 ? NULL : fail(VOLT_ERROR_DATA_LOSS, "cannot flush", t->path);
}

static volt_error* tsv_finalize(volt_logger* self, const char* status) {
  tsv_logger* t = (tsv_logger*)self;
  fprintf(t->file, "# status\t%s\n", status);
  return tsv_save(self);
}

/* The string value of "key" in the host's compact JSON config (the host validated it against
 * the schema, so the value is a string without escapes other than \" and \\). */
static int config_string(const char* json, const char* key, char* out, size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char* at = strstr(json, pattern);
  if (at == NULL) return 0;
  at += strlen(pattern);
  size_t n = 0;
  for (; *at != '\0' && *at != '"' && n + 1 < size; ++at) {
    if (*at == '\\' && at[1] != '\0') ++at;
    out[n++] = *at;
  }
  out[n] = '\0';
  return 1;
}

static volt_error* create(size_t index, const volt_create_args* args, void** out) {
  (void)index;
  *out = NULL;
  tsv_logger* t = (tsv_logger*)calloc(1, sizeof *t);
  if (t == NULL) return args->host->error_new(VOLT_ERROR_INTERNAL, "tsv: out of memory");
  char dir[4000] = ".";
  config_string(args->config_json, "save_dir", dir, sizeof dir);
  snprintf(t->path, sizeof t->path, "%s/metrics.tsv", dir);
  t->file = fopen(t->path, "w");
  if (t->file == NULL) {
    volt_error* e = fail(VOLT_ERROR_UNAVAILABLE, "cannot create", t->path);
    free(t);
    return e;
  }
  fputs("step\tname\tvalue\n", t->file);
  t->table.struct_size = VOLT_LOGGER_SIZE;
  t->table.impl = t;
  t->table.destroy = tsv_destroy;
  t->table.log_dir = tsv_log_dir;
  t->table.log_hyperparams = tsv_log_hyperparams;
  t->table.log_metrics = tsv_log_metrics;
  t->table.save = tsv_save;
  t->table.finalize = tsv_finalize;
  *out = &t->table;
  return NULL;
}

static const volt_plugin_descriptor descriptor = {
    VOLT_STRUCT_SIZE(volt_plugin_descriptor, config_schema), VOLT_KIND_LOGGER, "tsv", "1.0.0",
    "Tab-separated metrics, a logger written in plain C",
    "{\"type\": \"object\", \"additionalProperties\": false, \"properties\": {"
    "\"save_dir\": {\"type\": [\"string\", \"null\"], \"default\": null,"
    " \"description\": \"folder of metrics.tsv (default: trainer.default_root_dir)\"}}}"};

static size_t plugin_count(void) { return 1; }
static const volt_plugin_descriptor* plugin_descriptor(size_t index) {
  return index == 0 ? &descriptor : NULL;
}

static volt_error* init(const volt_host_api* host, const char* library_path) {
  (void)library_path;
  g_host = host;
  return NULL;
}

static void deinit(void) {}

/* No LibTorch inside: the host skips its LibTorch build checks for this library. */
static const volt_build_info build = {VOLT_STRUCT_SIZE(volt_build_info, compiler), VOLT_SDK_VERSION,
                                      NULL, -1, 0, "c99"};
static const volt_plugin_entry entry = {
    .struct_size = VOLT_STRUCT_SIZE(volt_plugin_entry, create),
    .abi_major = VOLT_ABI_MAJOR,
    .abi_minor = VOLT_ABI_MINOR,
    .build = &build,
    .init = init,
    .deinit = deinit,
    .plugin_count = plugin_count,
    .plugin_descriptor = plugin_descriptor,
    .create = create,
};

VOLT_EXPORT const volt_plugin_entry* volt_entry(void) { return &entry; }
