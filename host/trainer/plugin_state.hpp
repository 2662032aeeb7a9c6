// A plugin's checkpointed state across the C ABI, both ways: what its save_state writes (read
// back as an IValue) and a checkpoint entry handed to its load_state (tensors shared, not
// copied). Errors name the plugin and the function. Shared by the checkpoint connector
// (connectors/checkpoint_dump.cpp, checkpoint_restore.cpp, strategy_state.cpp).
#pragma once

#include "runtime/host_api.hpp"

#include <volt/sdk/state_codec.hpp>

#include <optional>
#include <string>

namespace volt::host {

template <class Table, class SaveFn>
c10::IValue plugin_state(Table* table, SaveFn save, const std::string& label, const char* what) {
  volt::StateCollector collected;
  check_plugin(save(table, collected.sink()), label, what);
  try {
    return collected.value();
  } catch (const Error& e) {
    throw Error(e.code(), label + " (" + what + "): " + e.what());
  }
}

template <class Table, class LoadFn>
void load_plugin_state(Table* table, LoadFn load, const c10::IValue& state,
                       const std::string& label, const char* what) {
  std::optional<volt::StateView> view;
  try {
    view.emplace(state);
  } catch (const Error& e) {
    throw Error(e.code(), label + " (" + what + "): the checkpoint's state cannot be passed on: " +
                              e.what());
  }
  check_plugin(load(table, view->get()), label, what);
}

}  // namespace volt::host
