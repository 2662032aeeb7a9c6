// The hooks a module or callback instance implements (ABI 1.7's implements_hook), asked once
// when the trainer is made, so that each hook reaches only the plugins that do something with
// it (Lightning calls a hook only where it is overridden). A plugin built before 1.7 gets
// every hook.
#pragma once

#include "trainer/components.hpp"

#include <bitset>

namespace volt::host {

class ImplementedHooks {
 public:
  ImplementedHooks() { hooks_.set(); }

  template <class Table>
  static ImplementedHooks of(const Instance<Table>& plugin) {
    ImplementedHooks out;
    auto implements = plugin.optional(&Table::implements_hook, VOLT_FIELD_END(Table, implements_hook));
    if (implements == nullptr) return out;
    for (int32_t hook = 0; hook < kHookIds; ++hook)
      out.hooks_.set(static_cast<size_t>(hook), implements(plugin.get(), hook));
    return out;
  }

  // Ids outside the asked range (none today) are always called.
  bool has(int32_t hook) const {
    return hook < 0 || hook >= kHookIds || hooks_.test(static_cast<size_t>(hook));
  }

 private:
  static constexpr int32_t kHookIds = 128;  // VOLT_HOOK_* ids are below VOLT_HOOK_NONE = 127
  std::bitset<kHookIds> hooks_;
};

}  // namespace volt::host
