/* Built against a newer minor version whose entry has an extra field appended: loads, and the
 * host ignores the field it does not know. */
#include "corpus_common.h"

CORPUS_ONE_DESCRIPTOR(VOLT_KIND_CALLBACK, "newer_minor")
static const volt_build_info build = CORPUS_PLAIN_BUILD;

typedef struct newer_entry {
  volt_plugin_entry base;
  void (*future_function)(void);
} newer_entry;

static void future_function(void) {}

static const newer_entry entry = {
    .base =
        {
            .struct_size = VOLT_STRUCT_SIZE(newer_entry, future_function),
            .abi_major = VOLT_ABI_MAJOR,
            .abi_minor = VOLT_ABI_MINOR + 1,
            .build = &build,
            .plugin_count = plugin_count,
            .plugin_descriptor = plugin_descriptor,
            .create = corpus_create_callback,
        },
    .future_function = future_function,
};

VOLT_EXPORT const volt_plugin_entry* volt_entry(void) { return &entry.base; }
