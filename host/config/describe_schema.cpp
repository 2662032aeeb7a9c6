// describe_schema (declared in json_schema.hpp): help text generated from a schema.
#include "config/did_you_mean.hpp"
#include "config/json_schema.hpp"

#include <algorithm>
#include <vector>

namespace volt::host::config {
namespace {

using nlohmann::json;

struct HelpRow {
  std::string name;
  std::string type;
  std::string default_text;
  std::string rest;  // description and [allowed/range] notes
};

std::string type_text(const json& schema) {
  const auto it = schema.find("type");
  if (it == schema.end()) return "any";
  std::vector<std::string> names;
  if (it->is_string()) names.push_back(it->get<std::string>());
  if (it->is_array()) {
    for (const auto& t : *it) names.push_back(t.is_string() ? t.get<std::string>() : t.dump());
  }
  for (auto& name : names) {
    const auto items = schema.find("items");
    if (name == "array" && items != schema.end() && items->is_object() && items->contains("type")) {
      name = "array<" + type_text(*items) + ">";
    }
  }
  return join(names, "|");
}

std::string range_text(const json& schema) {
  std::vector<std::string> parts;
  const auto flag = [&](const char* key) {
    return schema.contains(key) && schema[key].is_boolean() && schema[key].get<bool>();
  };
  if (schema.contains("minimum")) {
    parts.push_back((flag("exclusiveMinimum") ? "> " : ">= ") + schema["minimum"].dump());
  }
  if (schema.contains("exclusiveMinimum") && schema["exclusiveMinimum"].is_number()) {
    parts.push_back("> " + schema["exclusiveMinimum"].dump());
  }
  if (schema.contains("maximum")) {
    parts.push_back((flag("exclusiveMaximum") ? "< " : "<= ") + schema["maximum"].dump());
  }
  if (schema.contains("exclusiveMaximum") && schema["exclusiveMaximum"].is_number()) {
    parts.push_back("< " + schema["exclusiveMaximum"].dump());
  }
  return parts.empty() ? "" : "[" + join(parts, ", ") + "]";
}

void collect_options(const json& schema, const std::string& prefix,
                     std::vector<SchemaOption>& out) {
  if (!schema.is_object() || !schema.contains("properties")) return;
  std::vector<std::string> required;
  if (schema.contains("required") && schema["required"].is_array()) {
    for (const auto& key : schema["required"]) {
      if (key.is_string()) required.push_back(key.get<std::string>());
    }
  }
  for (const auto& [key, property] : schema["properties"].items()) {
    const std::string name = join_key_path(prefix, key);
    if (!property.is_object()) continue;
    // Nested objects with their own properties read better as dotted leaves.
    if (property.contains("properties") && !property["properties"].empty()) {
      collect_options(property, name, out);
      continue;
    }
    SchemaOption option;
    option.key = name;
    option.type = type_text(property);
    if (property.contains("default")) option.default_value = property["default"];
    option.required = std::find(required.begin(), required.end(), key) != required.end();
    if (property.contains("description") && property["description"].is_string()) {
      option.description = property["description"].get<std::string>();
    }
    if (property.contains("enum") && property["enum"].is_array()) {
      option.allowed.assign(property["enum"].begin(), property["enum"].end());
    }
    option.range = range_text(property);
    out.push_back(option);
  }
}

std::string pad(const std::string& text, std::size_t width) {
  return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
}

}  // namespace

std::vector<SchemaOption> schema_options(const json& schema, const std::string& prefix) {
  std::vector<SchemaOption> options;
  collect_options(schema, prefix, options);
  return options;
}

std::string describe_schema(const json& schema, const std::string& prefix) {
  std::vector<HelpRow> rows;
  for (const SchemaOption& option : schema_options(schema, prefix)) {
    HelpRow row{"--" + option.key, option.type, "", ""};
    if (option.default_value) {
      row.default_text = "(default: " + describe_value(*option.default_value) + ")";
    } else if (option.required) {
      row.default_text = "(required)";
    }
    std::vector<std::string> rest;
    if (!option.description.empty()) rest.push_back(option.description);
    if (!option.allowed.empty()) {
      std::vector<std::string> allowed;
      for (const auto& value : option.allowed) {
        allowed.push_back(value.is_string() ? value.get<std::string>() : value.dump());
      }
      rest.push_back("[allowed: " + join(allowed, "|") + "]");
    }
    if (!option.range.empty()) rest.push_back(option.range);
    row.rest = join(rest, "  ");
    rows.push_back(row);
  }
  std::size_t name_width = 0;
  std::size_t type_width = 0;
  std::size_t default_width = 0;
  for (const auto& row : rows) {
    name_width = std::max(name_width, row.name.size());
    type_width = std::max(type_width, row.type.size());
    default_width = std::max(default_width, row.default_text.size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = pad(row.name, name_width) + "  " + pad(row.type, type_width) + "  " +
                       pad(row.default_text, default_width) + "  " + row.rest;
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

}  // namespace volt::host::config
