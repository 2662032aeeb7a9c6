/* A descriptor whose struct_size ends before config_schema. */
#include "corpus_common.h"

static const volt_plugin_descriptor descriptor = {
    VOLT_STRUCT_SIZE(volt_plugin_descriptor, description), VOLT_KIND_CALLBACK, "small_descriptor",
    "1.0.0", "descriptor too small", CORPUS_SCHEMA};
static size_t plugin_count(void) { return 1; }
static const volt_plugin_descriptor* plugin_descriptor(size_t index) {
  return index == 0 ? &descriptor : NULL;
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
