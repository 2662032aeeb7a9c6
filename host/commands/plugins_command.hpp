// `volt plugins`: lists the plugins found on the search path and the files that were refused.
#pragma once

#include <filesystem>
#include <ostream>
#include <vector>

namespace volt::host {

// Scans `dirs` in order and prints a table (or, with `json`, one JSON object
// {"plugins":[...],"skipped":[...]}) to `out`. Returns the process exit code (0).
int run_plugins_command(const std::vector<std::filesystem::path>& dirs, bool json,
                        std::ostream& out);

}  // namespace volt::host
