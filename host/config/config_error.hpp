// The one exception type of the configuration layer: a user-facing message that names the key
// path (e.g. "model.lr"), the value given and what was expected, and, where known, who set the
// value (value_sources.hpp).
#pragma once

#include <stdexcept>
#include <string>

namespace volt::host::config {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
  // About the value at `key_path` ("model.hidden_sizes[1]"): "<key_path>: <detail>".
  ConfigError(const std::string& key_path, const std::string& detail)
      : std::runtime_error(key_path.empty() ? detail : key_path + ": " + detail),
        key_path_(key_path) {}

  // `message` as it is, about the value at `key_path` (which it names in its own words).
  static ConfigError at(const std::string& key_path, const std::string& message) {
    ConfigError out(message);
    out.key_path_ = key_path;
    return out;
  }

  // "" when the error is not about one value (a file that does not parse, a flag).
  const std::string& key_path() const { return key_path_; }

  // The same error with "(<source>)" appended.
  ConfigError with_source(const std::string& source) const {
    return at(key_path_, std::string(what()) + " (" + source + ")");
  }

 private:
  std::string key_path_;
};

}  // namespace volt::host::config
