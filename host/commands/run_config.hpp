// The resolved config of `volt fit | validate | test | predict`: the command's config checked
// against the loaded plugins' schemas with their defaults filled (config/config_resolver.hpp),
// then what the host derives before plugins exist: logger save_dir, Lightning's max_time timer,
// single_device's device, the default progress bar.
#pragma once

#include "config/command_line.hpp"
#include "config/config_resolver.hpp"

#include <nlohmann/json.hpp>

namespace volt::host {

// validate/test/predict build the module from the checkpoint's hyper_parameters (Lightning's
// load_from_checkpoint); fit resumes the module the flags describe. Throws ConfigError naming
// the file and line, or the flag, that set a bad value.
nlohmann::json resolve_run_config(const config::ParsedCommand& command,
                                  const config::SchemaLookup& lookup,
                                  const config::IdLister& list_ids);

}  // namespace volt::host
