/* Counts init() and deinit() calls and remembers init's arguments, for the lifecycle tests.
 * Built into its own directory so directory scans of the corpus never touch its counters. */
#include "../corpus_common.h"

#include <string.h>

CORPUS_ONE_DESCRIPTOR(VOLT_KIND_CALLBACK, "counting")
static const volt_build_info build = CORPUS_PLAIN_BUILD;

static int init_calls;
static int deinit_calls;
static char init_path[1024];
static const volt_host_api* init_host;

static volt_error* init(const volt_host_api* host, const char* library_path) {
  ++init_calls;
  init_host = host;
  strncpy(init_path, library_path != NULL ? library_path : "", sizeof init_path - 1);
  return NULL;
}

static void deinit(void) { ++deinit_calls; }

static const volt_plugin_entry entry = {
    .struct_size = CORPUS_ENTRY_SIZE,
    .abi_major = VOLT_ABI_MAJOR,
    .abi_minor = VOLT_ABI_MINOR,
    .build = &build,
    .init = init,
    .deinit = deinit,
    .plugin_count = plugin_count,
    .plugin_descriptor = plugin_descriptor,
    .create = corpus_create_callback,
};

VOLT_EXPORT const volt_plugin_entry* volt_entry(void) { return &entry; }

/* Test-only export, read by the tests through dlsym. */
VOLT_EXPORT void corpus_counts(int* init_count, int* deinit_count, const char** path,
                               const volt_host_api** host) {
  *init_count = init_calls;
  *deinit_count = deinit_calls;
  *path = init_path;
  *host = init_host;
}
