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

}  // namespace volt::host::config
