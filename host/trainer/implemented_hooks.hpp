// The hooks a module or callback instance implements (ABI 1.7's implements_hook), asked once
// when the trainer is made, so that each hook reaches only the plugins that do something with
// it (Lightning calls a hook only where it is overridden). A plugin built before 1.7 gets
// every hook.
#pragma once

#include "trainer/components.hpp"

#include <volt/sdk/hook_overrides.hpp>

namespace volt::host {

using HookSet = volt::detail::HookSet;

template <class Table>
HookSet implemented_hooks(const Instance<Table>& plugin) {
  auto implements = plugin->implements_hook;
  if (implements == nullptr) return HookSet::all();
  HookSet hooks;
  for (int32_t hook = 0; hook < HookSet::kIds; ++hook) hooks.set(hook, implements(plugin.get(), hook));
  return hooks;
}

}  // namespace volt::host
