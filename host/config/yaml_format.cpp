#include "config/yaml_format.hpp"

#include "config/config_error.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <regex>

namespace volt::host::config {
namespace {

using nlohmann::json;

constexpr const char* kTagPrefix = "tag:yaml.org,2002:";

std::string position(const YAML::Mark& mark) {
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

[[noreturn]] void fail(const std::string& source, const YAML::Mark& mark,
                       const std::string& message) {
  throw ConfigError(source + ": " + message + " (" + position(mark) + ")");
}

bool one_of(const std::string& text, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return text == w; });
}

std::optional<json> as_integer(const std::string& text) {
  static const std::regex decimal("[-+]?[0-9]+");
  static const std::regex octal("0o[0-7]+");
  static const std::regex hex("0x[0-9a-fA-F]+");
  int base = 10;
  std::string digits = text;
  if (std::regex_match(text, octal)) {
    base = 8;
    digits = text.substr(2);
  } else if (std::regex_match(text, hex)) {
    base = 16;
    digits = text.substr(2);
  } else if (!std::regex_match(text, decimal)) {
    return std::nullopt;
  }
  const bool negative = digits.front() == '-';
  if (digits.front() == '+' || negative) digits.erase(0, 1);
  uint64_t magnitude = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (!negative) {
    if (magnitude <= static_cast<uint64_t>(INT64_MAX)) return json(static_cast<int64_t>(magnitude));
    return json(magnitude);
  }
  if (magnitude <= static_cast<uint64_t>(INT64_MAX)) return json(-static_cast<int64_t>(magnitude));
  if (magnitude == static_cast<uint64_t>(INT64_MAX) + 1) return json(INT64_MIN);
  return std::nullopt;
}

bool is_float_text(const std::string& text) {
  static const std::regex number("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  return std::regex_match(text, number);
}

bool is_special_float(const std::string& text) {
  static const std::regex special("[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  return std::regex_match(text, special);
}

// A plain (unquoted, untagged) scalar under the YAML 1.2 core schema.
json resolve_plain(const std::string& text, const YAML::Mark& mark, const std::string& source) {
  if (text.empty() || one_of(text, {"~", "null", "Null", "NULL"})) return nullptr;
  if (one_of(text, {"true", "True", "TRUE"})) return true;
  if (one_of(text, {"false", "False", "FALSE"})) return false;
  if (auto integer = as_integer(text)) return *integer;
  if (is_float_text(text)) return std::stod(text);
  if (is_special_float(text)) fail(source, mark, "'" + text + "' cannot be represented in JSON");
  return text;
}

json scalar_to_json(const YAML::Node& node, const std::string& source) {
  const std::string& tag = node.Tag();
  const std::string& text = node.Scalar();
  if (tag == "!") return text;  // quoted: always a string
  if (tag == "?" || tag.empty()) return resolve_plain(text, node.Mark(), source);
  if (tag.rfind(kTagPrefix, 0) != 0) fail(source, node.Mark(), "unsupported tag '" + tag + "'");
  const std::string type = tag.substr(std::string(kTagPrefix).size());
  if (type == "str") return text;
  json value = resolve_plain(text, node.Mark(), source);
  const bool matches = (type == "null" && value.is_null()) || (type == "bool" && value.is_boolean()) ||
                       (type == "int" && value.is_number_integer()) ||
                       (type == "float" && value.is_number());
  if (!matches) fail(source, node.Mark(), "'" + text + "' is not a valid !!" + type);
  return type == "float" ? json(value.get<double>()) : value;
}

json node_to_json(const YAML::Node& node, const std::string& source) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalar_to_json(node, source);
    case YAML::NodeType::Sequence: {
      json list = json::array();
      for (const auto& item : node) list.push_back(node_to_json(item, source));
      return list;
    }
    case YAML::NodeType::Map: {
      json object = json::object();
      for (const auto& entry : node) {
        const YAML::Node& key = entry.first;
        if (!key.IsScalar()) fail(source, key.Mark(), "mapping keys must be scalars");
        const std::string name = key.Scalar();
        if (object.contains(name)) fail(source, key.Mark(), "duplicate key '" + name + "'");
        object[name] = node_to_json(entry.second, source);
      }
      return object;
    }
  }
  return nullptr;
}

// --- writing ---------------------------------------------------------------------------------

bool safe_plain_string(const std::string& text) {
  if (text.empty()) return false;
  const unsigned char first = static_cast<unsigned char>(text.front());
  if (!std::isalpha(first) && first != '_' && first != '/') return false;
  for (unsigned char c : text) {
    if (!std::isalnum(c) && std::string("_-./+@").find(static_cast<char>(c)) == std::string::npos)
      return false;
  }
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // YAML 1.2 core and YAML 1.1 (PyYAML) words that do not read back as strings.
  return !one_of(lower, {"null", "true", "false", "yes", "no", "on", "off", "y", "n"});
}

std::string scalar_text(const json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return safe_plain_string(text) ? text : value.dump();  // JSON escapes are YAML escapes
  }
  if (value.is_number_float()) {
    // PyYAML reads a float only with a '.' and a signed exponent: 1e-05 -> 1.0e-05.
    std::string text = value.dump();
    const auto exponent = text.find_first_of("eE");
    const std::string mantissa = text.substr(0, exponent);
    std::string rest = exponent == std::string::npos ? "" : text.substr(exponent);
    if (rest.size() > 1 && rest[1] != '+' && rest[1] != '-') rest.insert(1, "+");
    return mantissa + (mantissa.find('.') == std::string::npos ? ".0" : "") + rest;
  }
  if (value.is_object()) return "{}";
  if (value.is_array()) return "[]";
  return value.dump();  // null, booleans, integers
}

bool inline_value(const json& value) {
  return !value.is_structured() || value.empty();
}

void emit_array(std::string& out, const json& list, int indent);

void emit_object(std::string& out, const json& object, int indent) {
  for (const auto& [key, value] : object.items()) {
    out += std::string(indent, ' ') + scalar_text(json(key)) + ":";
    if (inline_value(value)) {
      out += " " + scalar_text(value) + "\n";
    } else if (value.is_object()) {
      out += "\n";
      emit_object(out, value, indent + 2);
    } else {
      out += "\n";
      emit_array(out, value, indent);  // "- " items at the key's indent, as PyYAML writes them
    }
  }
}

void emit_array(std::string& out, const json& list, int indent) {
  for (const auto& item : list) {
    out += std::string(indent, ' ') + "-";
    if (inline_value(item)) {
      out += " " + scalar_text(item) + "\n";
      continue;
    }
    // The item's first line goes after "- ", the others indented under it.
    std::string nested;
    if (item.is_object()) {
      emit_object(nested, item, indent + 2);
    } else {
      emit_array(nested, item, indent + 2);
    }
    out += " " + nested.substr(static_cast<size_t>(indent) + 2);
  }
}

}  // namespace

json parse_yaml(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": invalid YAML at " + position(e.mark) + ": " + e.msg);
  }
  try {
    return node_to_json(root, source);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": invalid YAML at " + position(e.mark) + ": " + e.msg);
  }
}

std::string to_yaml(const json& value) {
  if (inline_value(value)) return scalar_text(value) + "\n";
  std::string out;
  if (value.is_object()) {
    emit_object(out, value, 0);
  } else {
    emit_array(out, value, 0);
  }
  return out;
}

}  // namespace volt::host::config
