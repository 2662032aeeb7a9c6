// `volt plugins`: lists the plugins found on the search path and the files that were refused.
#pragma once

#include "plugin/registry.hpp"

#include <filesystem>
#include <ostream>
#include <vector>

namespace volt::host {

// Prints the plugins of `registry`, which scanned `dirs`, as a table (or, with `json`, the catalogue tools read:
// {"trainer": <trainer schema>, "plugins": [{kind, id, group, version, abi, file, description,
// schema}], "skipped": [{file, reason}]}) to `out`. Returns the process exit code (0).
int run_plugins_command(const PluginRegistry& registry,
                        const std::vector<std::filesystem::path>& dirs, bool json,
                        std::ostream& out);

// Scans `dirs` in order with the default load policy, then prints as above.
int run_plugins_command(const std::vector<std::filesystem::path>& dirs, bool json,
                        std::ostream& out);

}  // namespace volt::host
