/* A required function (create) is NULL. */
#include "corpus_common.h"

CORPUS_ONE_DESCRIPTOR(VOLT_KIND_CALLBACK, "missing_create")
static const volt_build_info build = CORPUS_PLAIN_BUILD;
static const volt_plugin_entry entry = {
    .struct_size = CORPUS_ENTRY_SIZE,
    .abi_major = VOLT_ABI_MAJOR,
    .abi_minor = VOLT_ABI_MINOR,
    .build = &build,
    .plugin_count = plugin_count,
    .plugin_descriptor = plugin_descriptor,
    .create = NULL,
};

VOLT_EXPORT const volt_plugin_entry* volt_entry(void) { return &entry; }
