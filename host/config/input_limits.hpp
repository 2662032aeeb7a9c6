// Bounds on what the config readers accept from outside (files, flags, environment), so that no
// input exhausts the stack, the memory or the time of the process (docs/limits.md).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace volt::host::config {

inline constexpr std::size_t kMaxConfigBytes = 16u << 20;  // one config file
inline constexpr int kMaxConfigDepth = 64;                 // nested lists and objects
inline constexpr std::size_t kMaxConfigValues = 1u << 20;  // values after YAML aliases expand
inline constexpr std::size_t kMaxNumberChars = 400;        // digits of one number

// JSON text parsed with the depth limit; throws ConfigError naming `source` when the text is
// not JSON or nests deeper than kMaxConfigDepth. With `or_string`, text that is not JSON is
// returned as a string instead (flag values).
nlohmann::json parse_json_limited(const std::string& text, const std::string& source,
                                  bool or_string = false);

// The whole file at `path`, at most kMaxConfigBytes (also for endless files such as
// /dev/zero); throws ConfigError naming `source`.
std::string read_bounded_file(const std::string& path, const std::string& source);

}  // namespace volt::host::config
