/* Loads fine; create() returns an instance whose struct_size is 0. */
#include "corpus_common.h"

CORPUS_ONE_DESCRIPTOR(VOLT_KIND_CALLBACK, "create_zero_size")
static const volt_build_info build = CORPUS_PLAIN_BUILD;

static volt_callback zero_sized; /* all zero; static so the leak the host reports is harmless */

static volt_error* create(size_t index, const volt_create_args* args, void** out) {
  (void)index;
  (void)args;
  *out = &zero_sized;
  return NULL;
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
