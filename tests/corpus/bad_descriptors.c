/* One good plugin among descriptors that are each broken in one way: only the good one is
 * registered, each bad one gets its own reason. */
#include "corpus_common.h"

static const volt_plugin_descriptor descriptors[] = {
    {CORPUS_DESCRIPTOR_SIZE, VOLT_KIND_CALLBACK, "bd_good", "1.0.0", "fine", CORPUS_SCHEMA},
    {0, 0, NULL, NULL, NULL, NULL}, /* index 1: plugin_descriptor returns NULL instead */
    {CORPUS_DESCRIPTOR_SIZE, 42, "bd_kind", "1.0.0", "unknown kind", CORPUS_SCHEMA},
    {CORPUS_DESCRIPTOR_SIZE, VOLT_KIND_CALLBACK, "", "1.0.0", "empty id", CORPUS_SCHEMA},
    {CORPUS_DESCRIPTOR_SIZE, VOLT_KIND_CALLBACK, "bd_null_schema", "1.0.0", "no schema", NULL},
    {CORPUS_DESCRIPTOR_SIZE, VOLT_KIND_CALLBACK, "bd_bad_json", "1.0.0", "bad JSON",
     "{\"type\": \"object\",,}"},
    {CORPUS_DESCRIPTOR_SIZE, VOLT_KIND_CALLBACK, "bd_array", "1.0.0", "not an object", "[1, 2]"},
    {CORPUS_DESCRIPTOR_SIZE, VOLT_KIND_CALLBACK, "bd_good", "2.0.0", "same id twice",
     CORPUS_SCHEMA},
};

static size_t plugin_count(void) { return sizeof descriptors / sizeof descriptors[0]; }
static const volt_plugin_descriptor* plugin_descriptor(size_t index) {
  return index < plugin_count() && index != 1 ? &descriptors[index] : NULL;
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
