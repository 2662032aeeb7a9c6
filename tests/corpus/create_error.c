/* Loads fine; create() always fails, quoting the config it was given. */
#include "corpus_common.h"

#include <stdio.h>

CORPUS_ONE_DESCRIPTOR(VOLT_KIND_MODULE, "create_error")
static const volt_build_info build = CORPUS_PLAIN_BUILD;

static volt_error* create(size_t index, const volt_create_args* args, void** out) {
  char message[256];
  (void)index;
  *out = NULL;
  snprintf(message, sizeof message, "rejected config %s",
           args->config_json != NULL ? args->config_json : "(null)");
  return args->host->error_new(VOLT_ERROR_INVALID_ARGUMENT, message);
}

static const volt_plugin_entry entry = {
    .struct_size = CORPUS_ENTRY_SIZE,
    .abi_major = VOLT_ABI_MAJOR,
    .abi_minor = VOLT_ABI_MINOR,
    .build = &build,
    .plugin_count = plugin_count,
    .plugin_descriptor = plugin_descriptor,
    .create = create,
};

VOLT_EXPORT const volt_plugin_entry* volt_entry(void) { return &entry; }
