/* init() fails: the library must be refused with the plugin's message. */
#include "corpus_common.h"

CORPUS_ONE_DESCRIPTOR(VOLT_KIND_CALLBACK, "init_error")
static const volt_build_info build = CORPUS_PLAIN_BUILD;

static volt_error* init(const volt_host_api* host, const char* library_path) {
  (void)library_path;
  return host->error_new(VOLT_ERROR_UNAVAILABLE, "license server unreachable");
}

static const volt_plugin_entry entry = {
    .struct_size = CORPUS_ENTRY_SIZE,
    .abi_major = VOLT_ABI_MAJOR,
    .abi_minor = VOLT_ABI_MINOR,
    .build = &build,
    .init = init,
    .plugin_count = plugin_count,
    .plugin_descriptor = plugin_descriptor,
    .create = corpus_create_callback,
};

VOLT_EXPORT const volt_plugin_entry* volt_entry(void) { return &entry; }
