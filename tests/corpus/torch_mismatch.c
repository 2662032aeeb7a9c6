/* Claims a LibTorch version the host does not use. */
#include "corpus_common.h"

CORPUS_ONE_DESCRIPTOR(VOLT_KIND_MODULE, "torch_mismatch")
static const volt_build_info build =
    CORPUS_TORCH_BUILD("0.0.1", VOLT_TEST_CXX11_ABI, VOLT_TEST_TORCH_CUDA);
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
