// Lightning's LightningModule.configure_callbacks (ABI 1.10, VOLT_HOOK_CONFIGURE_CALLBACKS):
// the callbacks a module asks for replace the configured callbacks of the same plugin id, and
// the other configured callbacks stay, before them; checkpointing callbacks go last
// (Lightning's _attach_model_callbacks).
#pragma once

#include "trainer/components.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

namespace volt::host {

// (group, id) -> the plugin's config schema, or nullopt when no loaded plugin has that id.
using SchemaLookup =
    std::function<std::optional<nlohmann::json>(const std::string& group, const std::string& id)>;

// The callbacks list `configured` ([{id, config}], as resolved) with the module's merged in;
// `configured` itself when the module asks for none. Each requested config is checked against
// its plugin's schema and filled with its defaults. Throws ConfigError naming the module.
nlohmann::json with_model_callbacks(const ModuleInstance& module, int32_t stage,
                                    const nlohmann::json& configured, const SchemaLookup& lookup);

}  // namespace volt::host
