// YAML config files and YAML output (LightningCLI's format) over the JSON value every other
// part of the config code works on.
//
// Reading resolves plain scalars with the YAML 1.2 core schema: null/Null/NULL/~/empty are
// null, true/True/TRUE/false/False/FALSE booleans, 12, 0x1f, 0o17 integers, 1.5, 1e-3, .5
// floats; everything else, and every quoted scalar, is a string. The explicit tags !!str,
// !!int, !!float, !!bool and !!null are honoured. (PyYAML, behind LightningCLI, implements
// YAML 1.1: there `yes` is true and `1e-3` a string; docs/differences.md.)
//
// Writing produces block-style YAML that this reader, YAML 1.2 readers and PyYAML all read back
// to the same value: strings are quoted whenever either schema would take them for something
// else, floats always carry a '.' and a signed exponent.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace volt::host::config {

// Parses one YAML document. `source` prefixes errors, which give the line and column:
// "--config a.yaml: invalid YAML at line 3, column 5: ...". Mappings with a repeated key,
// anchors that alias into a cycle, unsupported tags, .inf and .nan (not representable in
// JSON) are errors. Throws ConfigError.
nlohmann::json parse_yaml(const std::string& text, const std::string& source);

// `value` as a YAML document ending with a newline; object keys in the JSON value's order
// (sorted). Empty objects and arrays are written as {} and [].
std::string to_yaml(const nlohmann::json& value);

}  // namespace volt::host::config
