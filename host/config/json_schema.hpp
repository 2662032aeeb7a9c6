// Validation and default filling for the JSON Schema subset plugin descriptors use
// (volt_plugin_descriptor::config_schema) and the trainer section is described with.
//
// Supported keywords: type (a name or an array of names: string, number, integer, boolean,
// array, object, null), properties, required, additionalProperties (false, true or a schema),
// default, enum, minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers; the draft-4
// boolean form is accepted too), minItems, maxItems, items (a schema or an array of them),
// description. Other keywords are ignored. Boolean schemas (true / false) are accepted.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace volt::host::config {

// Returns `value` checked against `schema`, with every missing property that has a "default"
// filled in (recursively: the default of a nested object gets its own defaults too). A float
// with an integral value where only "integer" is allowed becomes an integer (3.0 -> 3); ints
// and floats are otherwise kept as given, since "number" options may give them meanings (1 vs
// 1.0 batches). A default of null is filled as is, without checking it against the type.
// `where` is the key path of `value` ("model", "trainer"; "" for a root) used in messages.
// Throws ConfigError, e.g. `model.lr: expected a number, got "abc"`.
nlohmann::json apply_schema(const nlohmann::json& schema, const nlohmann::json& value,
                            const std::string& where);

// One leaf option of a schema, as help and shell completion show it.
struct SchemaOption {
  std::string key;   // dotted, after `prefix`: "model.optim.lr"
  std::string type;  // "number", "integer|null", "array<integer>", "any"
  std::optional<nlohmann::json> default_value;
  bool required = false;
  std::string description;
  std::vector<nlohmann::json> allowed;  // the enum, if any
  std::string range;                    // "[>= 0, <= 1]" or ""
};

// The leaf options of `schema` in its property order (nested objects flattened into dotted
// keys), each key prefixed with `prefix` ("" for none).
std::vector<SchemaOption> schema_options(const nlohmann::json& schema, const std::string& prefix);

// Help text: one line per option (nested objects are flattened into dotted keys), columns
// aligned: `--prefix.key  TYPE  (default: X)  description  [allowed: a|b]`. Ends with a newline
// unless the schema has no properties (then "").
std::string describe_schema(const nlohmann::json& schema, const std::string& prefix);

// A value as messages show it: compact JSON, cut to 80 characters.
std::string describe_value(const nlohmann::json& value);

// "model" + "lr" -> "model.lr"; "" + "lr" -> "lr".
std::string join_key_path(const std::string& where, const std::string& key);

}  // namespace volt::host::config
