/* Built against an older minor version: loads. (The tests also run it against a host table
 * whose minor is above VOLT_ABI_MINOR, so it is older even while the minor is 0.) */
#include "corpus_common.h"

CORPUS_ONE_DESCRIPTOR(VOLT_KIND_CALLBACK, "older_minor")
static const volt_build_info build = CORPUS_PLAIN_BUILD;
#if VOLT_ABI_MINOR > 0
#define OLDER_MINOR (VOLT_ABI_MINOR - 1)
#else
#define OLDER_MINOR 0
#endif

static const volt_plugin_entry entry = {
    .struct_size = CORPUS_ENTRY_SIZE,
    .abi_major = VOLT_ABI_MAJOR,
    .abi_minor = OLDER_MINOR,
    .build = &build,
    .plugin_count = plugin_count,
    .plugin_descriptor = plugin_descriptor,
    .create = corpus_create_callback,
};

VOLT_EXPORT const volt_plugin_entry* volt_entry(void) { return &entry; }
