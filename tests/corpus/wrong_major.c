/* Built against a future ABI major version: must be refused before anything is called. */
#include "corpus_common.h"

CORPUS_ONE_DESCRIPTOR(VOLT_KIND_CALLBACK, "wrong_major")
static const volt_build_info build = CORPUS_PLAIN_BUILD;
static const volt_plugin_entry entry = {
    .struct_size = CORPUS_ENTRY_SIZE,
    .abi_major = VOLT_ABI_MAJOR + 1,
    .abi_minor = 0,
    .build = &build,
    .plugin_count = plugin_count,
    .plugin_descriptor = plugin_descriptor,
    .create = corpus_create_callback,
};

VOLT_EXPORT const volt_plugin_entry* volt_entry(void) { return &entry; }
