// ModelCheckpoint's file names (Lightning's _format_checkpoint_name / format_checkpoint_name):
//  - groups are found as Lightning's regex `(\{.*?)[:\}]` finds them, longest first;
//  - with auto_insert_metric_name each `{name` becomes `name={name`;
//  - values are formatted with Python's format spec after ':' (python_format.hpp);
//  - a missing metric is the integer 0; `-vN` is appended for a version; then ".ckpt".
#pragma once

#include "python_format.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace volt::callbacks {

inline constexpr const char* kCheckpointJoinChar = "-";
inline constexpr const char* kCheckpointEqualsChar = "=";
inline constexpr const char* kCheckpointNameLast = "last";
inline constexpr const char* kCheckpointExtension = ".ckpt";
inline constexpr int kCheckpointStartingVersion = 1;
inline constexpr const char* kDefaultCheckpointFilename = "{epoch}-{step}";

// Value of a metric by name, or nullopt when it does not exist.
using MetricLookup = std::function<std::optional<PyNumber>(const std::string&)>;

// re.findall(r"(\{.*?)[:\}]", filename): each match runs from a '{' to just before the first
// ':' or '}' after it (`.` does not match a newline).
inline std::vector<std::string> checkpoint_filename_groups(const std::string& filename) {
  std::vector<std::string> groups;
  size_t i = 0;
  while (i < filename.size()) {
    if (filename[i] != '{') {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < filename.size() && filename[j] != ':' && filename[j] != '}' && filename[j] != '\n')
      ++j;
    if (j < filename.size() && filename[j] != '\n') {
      groups.push_back(filename.substr(i, j - i));
      i = j + 1;
    } else {
      ++i;  // no match starting here; the regex tries the next position
    }
  }
  return groups;
}

namespace detail {

inline void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// str.format(metrics) for a template whose fields are all `{0[key]}` or `{0[key]:spec}`.
inline std::string python_format_fields(const std::string& tmpl, const MetricLookup& value_of) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c == '}') {
      if (i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
        out += '}';
        ++i;
        continue;
      }
      throw std::invalid_argument("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    if (tmpl.compare(i + 1, 2, "0[") != 0)
      throw std::invalid_argument("unsupported replacement field in '" + tmpl + "'");
    size_t key_end = tmpl.find(']', i + 3);
    if (key_end == std::string::npos)
      throw std::invalid_argument("Missing ']' in format string");
    std::string key = tmpl.substr(i + 3, key_end - (i + 3));
    size_t close = tmpl.find('}', key_end);
    if (close == std::string::npos)
      throw std::invalid_argument("expected '}' before end of string");
    std::string rest = tmpl.substr(key_end + 1, close - key_end - 1);
    std::string spec;
    if (!rest.empty()) {
      if (rest[0] != ':')
        throw std::invalid_argument("unsupported conversion '" + rest + "' for field '" + key + "'");
      spec = rest.substr(1);
    }
    std::optional<PyNumber> v = value_of(key);
    out += format_number(v ? *v : PyNumber::integer(0), spec);
    i = close;
  }
  return out;
}

}  // namespace detail

// Lightning's _format_checkpoint_name (without a prefix): the name without extension.
inline std::string format_checkpoint_stem(std::string filename, const MetricLookup& metrics,
                                          bool auto_insert_metric_name) {
  if (filename.empty()) filename = kDefaultCheckpointFilename;
  std::vector<std::string> groups = checkpoint_filename_groups(filename);
  std::stable_sort(groups.begin(), groups.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& group : groups) {
    std::string name = group.substr(1);
    if (auto_insert_metric_name)
      detail::replace_all(filename, group, name + kCheckpointEqualsChar + "{" + name);
    detail::replace_all(filename, group, "{0[" + name + "]");
  }
  try {
    return detail::python_format_fields(filename, metrics);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("checkpoint filename '" + filename + "': " + e.what());
  }
}

// Lightning's format_checkpoint_name: "<stem>[-v<ver>].ckpt", under `dirpath` when given.
inline std::string format_checkpoint_name(const std::string& filename, const MetricLookup& metrics,
                                          bool auto_insert_metric_name,
                                          std::optional<int> version = std::nullopt,
                                          const std::string& dirpath = "") {
  std::string stem = format_checkpoint_stem(filename, metrics, auto_insert_metric_name);
  if (version) stem += std::string(kCheckpointJoinChar) + "v" + std::to_string(*version);
  std::string name = stem + kCheckpointExtension;
  if (dirpath.empty()) return name;
  return dirpath.back() == '/' ? dirpath + name : dirpath + "/" + name;
}

}  // namespace volt::callbacks
