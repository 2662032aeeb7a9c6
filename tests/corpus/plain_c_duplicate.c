/* Declares callback 'plain_c' again (refused: plain_c.so sorts first and wins) and callback
 * 'dup_only' (registered). */
#include "corpus_common.h"

static const volt_plugin_descriptor descriptors[] = {
    {CORPUS_DESCRIPTOR_SIZE, VOLT_KIND_CALLBACK, "plain_c", "9.9.9", "duplicate", CORPUS_SCHEMA},
    {CORPUS_DESCRIPTOR_SIZE, VOLT_KIND_CALLBACK, "dup_only", "1.0.0", "unique", CORPUS_SCHEMA},
};

static size_t plugin_count(void) { return sizeof descriptors / sizeof descriptors[0]; }
static const volt_plugin_descriptor* plugin_descriptor(size_t index) {
  return index < plugin_count() ? &descriptors[index] : NULL;
}

static const volt_build_info build = CORPUS_PLAIN_BUILD;
static const volt_plugin_entry entry = {
    .struct_size = CORPUS_ENTRY_SIZE,
    .abi_major = VOLT_ABI_MAJOR,
    .abi_minor = VOLT_ABI_MINOR,
    .build = &build,
    .plugin_count = plugin_count,
    .plugin_descriptor = plugin_descriptor,
    .create = corpus_create_callback,
};

VOLT_EXPORT const volt_plugin_entry* volt_entry(void) { return &entry; }
