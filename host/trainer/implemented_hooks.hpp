// The hooks a module or callback instance implements (ABI 1.7's implements_hook), asked once
// when the trainer is made, so that each hook reaches only the plugins that do something with
// it (Lightning calls a hook only where it is overridden). A plugin built before 1.7 gets
// every hook.
#pragma once

#include "trainer/components.hpp"

#include <bitset>

namespace volt::host {

// A set of hook ids (VOLT_HOOK_*); ids outside [0, kIds) are never members.
class HookSet {
 public:
  static constexpr int32_t kIds = 128;

  static HookSet all() {
    HookSet s;
    s.bits_.set();
    return s;
  }
  void set(int32_t hook, bool on) {
    if (hook >= 0 && hook < kIds) bits_.set(static_cast<size_t>(hook), on);
  }
  bool has(int32_t hook) const {
    return hook >= 0 && hook < kIds && bits_.test(static_cast<size_t>(hook));
  }

 private:
  std::bitset<kIds> bits_;
};

template <class Table>
HookSet implemented_hooks(const Instance<Table>& plugin) {
  auto implements = plugin->implements_hook;
  if (implements == nullptr) return HookSet::all();
  HookSet hooks;
  for (int32_t hook = 0; hook < HookSet::kIds; ++hook) hooks.set(hook, implements(plugin.get(), hook));
  return hooks;
}

}  // namespace volt::host
