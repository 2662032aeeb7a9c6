// Fuzz target: the JSON config reader (parse_json_limited: depth, size, duplicate keys, numbers),
// also in its flag-value form that falls back to a string.
#include "config/config_error.hpp"
#include "config/input_limits.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (bool or_string : {false, true}) {
    try {
      volt::host::config::parse_json_limited(text, "fuzz.json", or_string);
    } catch (const volt::host::config::ConfigError&) {
    }
  }
  return 0;
}
