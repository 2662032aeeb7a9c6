// Block YAML from a JSON value, written so that PyYAML's safe_load (YAML 1.1, what Lightning
// reads hparams.yaml and config files with) and YAML 1.2 readers both read back the same
// value: the shape of yaml.dump's output. For hparams.yaml, config.yaml and MLflow's meta.yaml.
//  - strings stay plain only when no reader could take them for something else (numbers,
//    true/false/null and YAML 1.1's yes/no/on/off/y/n); others are double-quoted JSON strings,
//    whose escapes YAML shares;
//  - floats always carry a '.' and a signed exponent (1e-05 -> 1.0e-05): PyYAML reads 1e-05 as
//    a string.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <string>

namespace volt::yaml {

// Whether `text` reads back as this string when written without quotes.
inline bool plain_string_reads_back(const std::string& text) {
  if (text.empty()) return false;
  const unsigned char first = static_cast<unsigned char>(text.front());
  if (!std::isalpha(first) && first != '_' && first != '/') return false;
  for (unsigned char c : text)
    if (!std::isalnum(c) && std::string("_-./+@").find(static_cast<char>(c)) == std::string::npos)
      return false;
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* word : {"null", "true", "false", "yes", "no", "on", "off", "y", "n"})
    if (lower == word) return false;
  return true;
}

// One scalar (or an empty object or array, written inline).
inline std::string scalar(const nlohmann::json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return plain_string_reads_back(text) ? text : value.dump();
  }
  if (value.is_number_float()) {
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

namespace detail {

inline bool written_inline(const nlohmann::json& value) {
  return !value.is_structured() || value.empty();
}

inline void emit_array(std::string& out, const nlohmann::json& list, int indent);

inline void emit_object(std::string& out, const nlohmann::json& object, int indent) {
  for (const auto& [key, value] : object.items()) {
    out += std::string(static_cast<size_t>(indent), ' ') + scalar(nlohmann::json(key)) + ":";
    if (written_inline(value)) {
      out += " " + scalar(value) + "\n";
    } else if (value.is_object()) {
      out += "\n";
      emit_object(out, value, indent + 2);
    } else {
      out += "\n";
      emit_array(out, value, indent);  // "- " items at the key's indent, as PyYAML writes them
    }
  }
}

inline void emit_array(std::string& out, const nlohmann::json& list, int indent) {
  for (const auto& item : list) {
    out += std::string(static_cast<size_t>(indent), ' ') + "-";
    if (written_inline(item)) {
      out += " " + scalar(item) + "\n";
      continue;
    }
    // The item's first line goes after "- ", the others indented under it.
    std::string nested;
    if (item.is_object()) emit_object(nested, item, indent + 2);
    else emit_array(nested, item, indent + 2);
    out += " " + nested.substr(static_cast<size_t>(indent) + 2);
  }
}

}  // namespace detail

// The whole document, ending in a newline.
inline std::string dump(const nlohmann::json& value) {
  if (detail::written_inline(value)) return scalar(value) + "\n";
  std::string out;
  if (value.is_object()) detail::emit_object(out, value, 0);
  else detail::emit_array(out, value, 0);
  return out;
}

}  // namespace volt::yaml
