// The one exception type of the configuration layer: a user-facing message that names the key
// path (e.g. "model.lr"), the value given and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace volt::host::config {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace volt::host::config
