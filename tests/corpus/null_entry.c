/* The entry symbol exists but returns NULL. */
#include "corpus_common.h"

VOLT_EXPORT const volt_plugin_entry* volt_entry(void) { return NULL; }
