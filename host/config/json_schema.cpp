#include "config/json_schema.hpp"

#include "config/config_error.hpp"
#include "config/did_you_mean.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace volt::host::config {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw ConfigError(where, message);
}

[[noreturn]] void fail_schema(const std::string& where, const std::string& message) {
  throw ConfigError("invalid schema for " + (where.empty() ? std::string("the root") : where) +
                    ": " + message);
}

std::vector<std::string> schema_types(const json& schema, const std::string& where) {
  const auto it = schema.find("type");
  if (it == schema.end()) return {};
  if (it->is_string()) return {it->get<std::string>()};
  if (!it->is_array()) fail_schema(where, "\"type\" must be a string or an array of strings");
  std::vector<std::string> types;
  for (const auto& t : *it) {
    if (!t.is_string()) fail_schema(where, "\"type\" must be a string or an array of strings");
    types.push_back(t.get<std::string>());
  }
  return types;
}

bool is_integral_float(const json& value) {
  if (!value.is_number_float()) return false;
  const double d = value.get<double>();
  return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15;
}

bool matches_type(const std::string& type, const json& value, const std::string& where) {
  if (type == "string") return value.is_string();
  if (type == "number") return value.is_number();
  if (type == "integer") return value.is_number_integer() || is_integral_float(value);
  if (type == "boolean") return value.is_boolean();
  if (type == "array") return value.is_array();
  if (type == "object") return value.is_object();
  if (type == "null") return value.is_null();
  fail_schema(where, "unknown type \"" + type + "\"");
}

std::string type_phrase(const std::string& type) {
  if (type == "integer" || type == "array" || type == "object") return "an " + type;
  if (type == "null") return "null";
  return "a " + type;
}

std::string expected_phrase(const std::vector<std::string>& types) {
  std::vector<std::string> phrases;
  for (const auto& t : types) phrases.push_back(type_phrase(t));
  return join(phrases, " or ");
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

json check_type(const json& schema, const json& value, const std::string& where) {
  const auto types = schema_types(schema, where);
  if (types.empty()) return value;
  // Plugins read integers as int64: a larger one would wrap (2^64 - 1 became -1).
  if (value.is_number_unsigned() &&
      value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX) &&
      (contains(types, "integer") || contains(types, "number")))
    fail(where, value.dump() + " is above the largest integer, 9223372036854775807");
  for (const auto& t : types) {
    if (!matches_type(t, value, where)) continue;
    // 3.0 where only integers make sense: keep it an integer from here on.
    if (t == "integer" && value.is_number_float() && !contains(types, "number")) {
      return json(static_cast<std::int64_t>(value.get<double>()));
    }
    return value;
  }
  std::string message = "expected " + expected_phrase(types) + ", got " + describe_value(value);
  // Command-line values are parsed as JSON first, so a numeric-looking name needs quotes.
  const bool only_strings = std::all_of(types.begin(), types.end(), [](const std::string& t) {
    return t == "string" || t == "null";
  });
  if (only_strings && contains(types, "string") && (value.is_number() || value.is_boolean())) {
    message += " (on the command line, quote it as JSON: '\"" + value.dump() + "\"')";
  }
  fail(where, message);
}

void check_enum(const json& schema, const json& value, const std::string& where) {
  const auto it = schema.find("enum");
  if (it == schema.end()) return;
  if (!it->is_array()) fail_schema(where, "\"enum\" must be an array");
  if (std::find(it->begin(), it->end(), value) != it->end()) return;
  std::vector<std::string> allowed;
  std::vector<std::string> allowed_strings;
  for (const auto& option : *it) {
    allowed.push_back(option.dump());
    if (option.is_string()) allowed_strings.push_back(option.get<std::string>());
  }
  std::string message = describe_value(value) + " is not one of " + join(allowed, ", ");
  if (value.is_string()) message += did_you_mean(value.get<std::string>(), allowed_strings, "\"");
  fail(where, message);
}

double bound(const json& schema, const char* key, const std::string& where) {
  const json& b = schema.at(key);
  if (!b.is_number()) fail_schema(where, std::string("\"") + key + "\" must be a number");
  return b.get<double>();
}

void check_bounds(const json& schema, const json& value, const std::string& where) {
  if (!value.is_number()) return;
  const double v = value.get<double>();
  const auto draft4_exclusive = [&](const char* key) {
    const auto it = schema.find(key);
    return it != schema.end() && it->is_boolean() && it->get<bool>();
  };
  if (schema.contains("minimum")) {
    const double m = bound(schema, "minimum", where);
    if (draft4_exclusive("exclusiveMinimum") ? v <= m : v < m) {
      fail(where, value.dump() + (draft4_exclusive("exclusiveMinimum")
                                      ? " must be greater than " : " is below the minimum ") +
                      schema["minimum"].dump());
    }
  }
  if (schema.contains("maximum")) {
    const double m = bound(schema, "maximum", where);
    if (draft4_exclusive("exclusiveMaximum") ? v >= m : v > m) {
      fail(where, value.dump() + (draft4_exclusive("exclusiveMaximum")
                                      ? " must be less than " : " is above the maximum ") +
                      schema["maximum"].dump());
    }
  }
  if (schema.contains("exclusiveMinimum") && schema["exclusiveMinimum"].is_number() &&
      v <= schema["exclusiveMinimum"].get<double>()) {
    fail(where, value.dump() + " must be greater than " + schema["exclusiveMinimum"].dump());
  }
  if (schema.contains("exclusiveMaximum") && schema["exclusiveMaximum"].is_number() &&
      v >= schema["exclusiveMaximum"].get<double>()) {
    fail(where, value.dump() + " must be less than " + schema["exclusiveMaximum"].dump());
  }
}

json check_array(const json& schema, const json& value, const std::string& where) {
  if (!value.is_array()) return value;
  const auto count = value.size();
  if (schema.contains("minItems") && count < schema["minItems"].get<std::size_t>()) {
    fail(where, "has " + std::to_string(count) + " items, expected at least " +
                    schema["minItems"].dump());
  }
  if (schema.contains("maxItems") && count > schema["maxItems"].get<std::size_t>()) {
    fail(where, "has " + std::to_string(count) + " items, expected at most " +
                    schema["maxItems"].dump());
  }
  const auto items = schema.find("items");
  if (items == schema.end()) return value;
  json out = json::array();
  for (std::size_t i = 0; i < count; ++i) {
    const std::string item_where = where + "[" + std::to_string(i) + "]";
    if (items->is_array()) {  // tuple form: one schema per position
      out.push_back(i < items->size() ? apply_schema((*items)[i], value[i], item_where) : value[i]);
    } else {
      out.push_back(apply_schema(*items, value[i], item_where));
    }
  }
  return out;
}

json fill_default(const json& property_schema, const std::string& where) {
  const json& default_value = property_schema.at("default");
  if (default_value.is_null()) return default_value;
  try {
    return apply_schema(property_schema, default_value, where);
  } catch (const ConfigError& e) {
    fail_schema(where, std::string("its default does not satisfy it: ") + e.what());
  }
}

std::string missing_message(const json& property_schema, const std::string& where) {
  std::string message = "required option is missing";
  if (property_schema.is_object()) {
    const auto types = schema_types(property_schema, where);
    if (!types.empty()) message += "; expected " + expected_phrase(types);
    const auto description = property_schema.find("description");
    if (description != property_schema.end() && description->is_string()) {
      message += " (" + description->get<std::string>() + ")";
    }
  }
  return message;
}

json check_object(const json& schema, const json& value, const std::string& where) {
  if (!value.is_object()) return value;
  static const json kNoProperties = json::object();
  const auto properties_it = schema.find("properties");
  const json& properties = properties_it != schema.end() ? *properties_it : kNoProperties;
  if (!properties.is_object()) fail_schema(where, "\"properties\" must be an object");
  std::vector<std::string> required;
  if (schema.contains("required")) {
    for (const auto& key : schema["required"]) required.push_back(key.get<std::string>());
  }

  json out = json::object();
  for (const auto& [key, property_schema] : properties.items()) {
    const std::string key_where = join_key_path(where, key);
    const auto given = value.find(key);
    if (given != value.end()) {
      out[key] = apply_schema(property_schema, *given, key_where);
    } else if (property_schema.is_object() && property_schema.contains("default")) {
      out[key] = fill_default(property_schema, key_where);
    } else if (contains(required, key)) {
      fail(key_where, missing_message(property_schema, key_where));
    }
  }
  for (const auto& key : required) {
    if (!properties.contains(key) && !value.contains(key)) {
      fail(join_key_path(where, key), "required option is missing");
    }
  }

  const auto additional = schema.find("additionalProperties");
  for (const auto& [key, item] : value.items()) {
    if (properties.contains(key)) continue;
    const std::string key_where = join_key_path(where, key);
    if (additional != schema.end() && additional->is_boolean() && !additional->get<bool>()) {
      std::vector<std::string> accepted;
      for (const auto& [name, unused] : properties.items()) accepted.push_back(name);
      const std::string suggestion = did_you_mean(key, accepted);
      const std::string list = accepted.empty() ? std::string("none") : join(accepted, ", ");
      fail(key_where, "unknown key" + (suggestion.empty() ? std::string(".") : suggestion) +
                          " Accepted keys: " + list);
    }
    out[key] = additional != schema.end() && additional->is_object()
                   ? apply_schema(*additional, item, key_where)
                   : item;
  }
  return out;
}

}  // namespace

std::string describe_value(const json& value) {
  std::string text = value.dump();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

std::string join_key_path(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

json apply_schema(const json& schema, const json& value, const std::string& where) {
  if (schema.is_boolean()) {
    if (!schema.get<bool>()) fail(where, "no value is allowed here");
    return value;
  }
  if (!schema.is_object()) fail_schema(where, "a schema must be an object or a boolean");
  json out = check_type(schema, value, where);
  check_enum(schema, out, where);
  check_bounds(schema, out, where);
  out = check_array(schema, out, where);
  return check_object(schema, out, where);
}

}  // namespace volt::host::config
