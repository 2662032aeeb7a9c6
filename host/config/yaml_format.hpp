// YAML config files (LightningCLI's format) read into the JSON value every other part of the
// config code works on. Writing is volt::yaml::dump (volt/sdk/yaml_writer.hpp), shared with the
// loggers' hparams.yaml.
//
// Reading resolves plain scalars with the YAML 1.2 core schema: null/Null/NULL/~/empty are
// null, true/True/TRUE/false/False/FALSE booleans, 12, 0x1f, 0o17 integers, 1.5, 1e-3, .5
// floats; everything else, and every quoted scalar, is a string. The explicit tags !!str,
// !!int, !!float, !!bool and !!null are honoured. (PyYAML, behind LightningCLI, implements
// YAML 1.1: there `yes` is true and `1e-3` a string; docs/differences.md.)
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace volt::host::config {

// Where a mapping key or list item of a document is: its path (keys, and list indices as
// decimal text) and its line and column, 1-based.
struct KeyPosition {
  std::vector<std::string> path;
  int line = 0;
  int column = 0;
};
using KeyPositions = std::vector<KeyPosition>;

// Parses one YAML document; with `positions`, also where each key is, in document order. `source` prefixes errors, which give the line and column:
// "--config a.yaml: invalid YAML at line 3, column 5: ...". Mappings with a repeated key,
// anchors that alias into a cycle, unsupported tags, .inf and .nan (not representable in
// JSON) are errors. Throws ConfigError.
nlohmann::json parse_yaml(const std::string& text, const std::string& source,
                          KeyPositions* positions = nullptr);

}  // namespace volt::host::config
