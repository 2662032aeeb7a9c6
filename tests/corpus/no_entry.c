/* A valid shared library that does not export the entry symbol. */
#include "corpus_common.h"

VOLT_EXPORT int corpus_not_a_plugin(void) { return 42; }
