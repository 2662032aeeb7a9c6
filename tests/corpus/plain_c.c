/* A good plain C library (no LibTorch) with two plugins: callback 'plain_c' and a logger with
 * the same id (ids are unique per kind only). */
#include "corpus_common.h"

static const volt_plugin_descriptor descriptors[] = {
    {CORPUS_DESCRIPTOR_SIZE, VOLT_KIND_CALLBACK, "plain_c", "1.2.3", "a plain C callback",
     "{\"type\": \"object\", \"properties\": {\"verbose\": {\"type\": \"boolean\"}}}"},
    {CORPUS_DESCRIPTOR_SIZE, VOLT_KIND_LOGGER, "plain_c", "0.1.0", "listed, never created",
     CORPUS_SCHEMA},
};

static size_t plugin_count(void) { return sizeof descriptors / sizeof descriptors[0]; }
static const volt_plugin_descriptor* plugin_descriptor(size_t index) {
  return index < plugin_count() ? &descriptors[index] : NULL;
}

static volt_error* create(size_t index, const volt_create_args* args, void** out) {
  *out = NULL;
  if (args->struct_size < VOLT_STRUCT_SIZE(volt_create_args, config_json) ||
      args->config_json == NULL)
    return args->host->error_new(VOLT_ERROR_INVALID_ARGUMENT, "create args too small");
  if (index != 0) return args->host->error_new(VOLT_ERROR_UNIMPLEMENTED, "only listed");
  return corpus_create_callback(index, args, out);
}

static volt_error* init(const volt_host_api* host, const char* library_path) {
  (void)library_path;
  return host->abi_major == VOLT_ABI_MAJOR ? NULL
                                           : host->error_new(VOLT_ERROR_INTERNAL, "bad host");
}

static void deinit(void) {}

static const volt_build_info build = CORPUS_PLAIN_BUILD;
static const volt_plugin_entry entry = {
    .struct_size = CORPUS_ENTRY_SIZE,
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
