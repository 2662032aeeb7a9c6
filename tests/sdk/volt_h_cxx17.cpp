// Compiled with -std=c++17 -pedantic -Wall -Wextra -Werror: volt/volt.h must stay clean C++.
#include <volt/volt.h>

static_assert(VOLT_STRUCT_SIZE(volt_plugin_entry, create) <= sizeof(volt_plugin_entry),
              "VOLT_STRUCT_SIZE never counts trailing padding");
static_assert(VOLT_STRUCT_SIZE(volt_create_args, config_json) <= sizeof(volt_create_args),
              "VOLT_STRUCT_SIZE never counts trailing padding");

// The entry has C linkage when declared from C++.
VOLT_EXPORT const volt_plugin_entry* volt_entry(void);

int volt_header_check_cxx17(const volt_plugin_entry* entry) {
  return VOLT_HAS_FIELD(entry, volt_plugin_entry, create) && entry->abi_major == VOLT_ABI_MAJOR;
}
