// Fuzz target: the YAML config reader (parse_yaml with its node, alias and number limits).
#include "config/config_error.hpp"
#include "config/yaml_format.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    volt::host::config::parse_yaml(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  } catch (const volt::host::config::ConfigError&) {
  }
  return 0;
}
