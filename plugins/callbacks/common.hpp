// Small helpers shared by the callback plugins: nullable config values and scores in JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

namespace volt::callbacks {

template <class T>
std::optional<T> optional_value(const nlohmann::json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

// Scores may be +-inf or NaN (Lightning keeps tensors), which JSON cannot hold: those are
// written as the strings "inf", "-inf", "nan" (Python's float() reads them back).
inline nlohmann::json score_to_json(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return x;
}

inline nlohmann::json score_to_json(const std::optional<double>& x) {
  return x ? score_to_json(*x) : nlohmann::json(nullptr);
}

inline std::optional<double> score_from_json(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "inf" || s == "+inf" || s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-inf" || s == "-Infinity") return -std::numeric_limits<double>::infinity();
    if (s == "nan" || s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  }
  return std::nullopt;
}

}  // namespace volt::callbacks
