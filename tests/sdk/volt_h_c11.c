/* Compiled with -std=c11 -pedantic -Wall -Wextra -Werror: volt/volt.h must stay strict C. */
#include <volt/volt.h>

/* The size macros must be integer constant expressions usable in C. */
_Static_assert(VOLT_STRUCT_SIZE(volt_plugin_entry, create) <= sizeof(volt_plugin_entry),
               "VOLT_STRUCT_SIZE never counts trailing padding");
_Static_assert(VOLT_STRUCT_SIZE(volt_plugin_entry, abi_minor) ==
                   offsetof(volt_plugin_entry, abi_minor) + sizeof(uint32_t),
               "the ABI version sits at a fixed offset");
_Static_assert(sizeof(((volt_build_info*)0)->cxx11_abi) == sizeof(int32_t),
               "enums are stored as int32_t");

/* A C plugin can name the entry function the way plugin.h says. */
VOLT_EXPORT const volt_plugin_entry* volt_entry(void);

int volt_header_check_c11(const volt_plugin_entry* entry);
int volt_header_check_c11(const volt_plugin_entry* entry) {
  return VOLT_HAS_FIELD(entry, volt_plugin_entry, create) && entry->abi_major == VOLT_ABI_MAJOR;
}
