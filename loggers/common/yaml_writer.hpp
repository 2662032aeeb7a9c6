// Writes a JSON value as block YAML (for hparams.yaml, as Lightning's save_hparams_to_yaml).
#pragma once

#include <volt/sdk/core.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>

namespace volt::loggers {

inline std::string yaml_scalar(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    bool plain = !s.empty() && s.find_first_of(":#{}[],&*!|>'\"%@`\n") == std::string::npos &&
                 s != "true" && s != "false" && s != "null" && s.front() != ' ' &&
                 s.back() != ' ' && s.front() != '-' && !std::isdigit(static_cast<unsigned char>(s.front()));
    return plain ? s : v.dump();  // JSON strings are valid double-quoted YAML scalars
  }
  return v.dump();
}

inline void write_yaml(std::ostream& out, const nlohmann::json& v, int indent = 0) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (v.is_object()) {
    if (v.empty()) { out << pad << "{}\n"; return; }
    for (auto it = v.begin(); it != v.end(); ++it) {
      const auto& child = it.value();
      out << pad << yaml_scalar(it.key()) << ":";
      if ((child.is_object() || child.is_array()) && !child.empty()) {
        out << "\n";
        write_yaml(out, child, indent + 2);
      } else {
        out << " " << (child.is_object() ? "{}" : child.is_array() ? "[]" : yaml_scalar(child))
            << "\n";
      }
    }
  } else if (v.is_array()) {
    for (const auto& child : v) {
      if ((child.is_object() || child.is_array()) && !child.empty()) {
        out << pad << "-\n";
        write_yaml(out, child, indent + 2);
      } else {
        out << pad << "- " << yaml_scalar(child) << "\n";
      }
    }
  } else {
    out << pad << yaml_scalar(v) << "\n";
  }
}

// <dir>/hparams.yaml, as Lightning's loggers write it beside their metrics.
inline void write_hparams_yaml(const std::filesystem::path& dir, const nlohmann::json& params) {
  const std::filesystem::path file = dir / "hparams.yaml";
  std::ofstream out(file);
  write_yaml(out, params);
  if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "cannot write " + file.string());
}

}  // namespace volt::loggers
