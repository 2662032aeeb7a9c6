// A plugin's table completed to this host's ABI, once, when the host receives it: the fields
// the plugin's struct_size covers are copied, those of later minors are left zero (NULL
// functions, which the C headers define as "the documented default"). The host then reads
// only the completed copy, so no code past this point compares struct sizes or ABI minors.
// Calls still pass the plugin's own table as `self`.
#pragma once

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace volt::host {

template <class Table>
Table complete_table(const Table* plugin_table) {
  static_assert(std::is_trivially_copyable_v<Table>, "C ABI tables are plain structs");
  Table full{};
  if (plugin_table == nullptr) return full;
  std::memcpy(static_cast<void*>(&full), plugin_table, std::min(plugin_table->struct_size, sizeof(Table)));
  return full;
}

}  // namespace volt::host
