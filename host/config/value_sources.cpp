#include "config/value_sources.hpp"

#include "config/config_layers.hpp"

#include <algorithm>

namespace volt::host::config {

namespace {

using json = nlohmann::json;

bool is_wrapper(const std::string& key) {
  return key == "class_path" || key == "init_args" || key == "dict_kwargs" || key == "id" ||
         key == "config";
}

bool is_trainer_alias(const std::string& key) {
  const auto& aliases = trainer_group_aliases();
  return std::find(aliases.begin(), aliases.end(), key) != aliases.end();
}

// A raw layer path as errors write it (see the header).
std::vector<std::string> normalized(const std::vector<std::string>& raw) {
  std::vector<std::string> out;
  size_t start = 0;
  if (!raw.empty() && is_subcommand(raw[0])) start = 1;
  if (raw.size() > start + 1 && raw[start] == "trainer" && is_trainer_alias(raw[start + 1])) ++start;
  for (size_t i = start; i < raw.size(); ++i)
    if (i == start || !is_wrapper(raw[i])) out.push_back(raw[i]);
  return out;
}

// "callbacks[0].monitor" -> callbacks, 0, monitor.
std::vector<std::string> split_key_path(const std::string& key_path) {
  std::vector<std::string> out;
  std::string token;
  auto flush = [&] {
    if (!token.empty()) out.push_back(token);
    token.clear();
  };
  for (char c : key_path) {
    if (c == '.' || c == '[' || c == ']') flush();
    else token += c;
  }
  flush();
  return normalized(out);
}

bool starts_with(const std::vector<std::string>& path, const std::vector<std::string>& prefix) {
  return prefix.size() <= path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

}  // namespace

void ValueSources::add(const std::vector<std::string>& path, const std::string& where) {
  std::vector<std::string> key = normalized(path);
  if (!key.empty()) entries_.push_back({std::move(key), where});
}

void ValueSources::add_file(const KeyPositions& positions, const std::string& prefix) {
  for (const auto& p : positions)
    add(p.path, prefix + "line " + std::to_string(p.line) + ", column " + std::to_string(p.column));
}

std::optional<std::string> ValueSources::find(const std::string& key_path) const {
  const std::vector<std::string> wanted = split_key_path(key_path);
  if (wanted.empty()) return std::nullopt;
  const Entry* best = nullptr;
  for (const auto& e : entries_)  // the last writer of the path, or of the longest prefix
    if (starts_with(wanted, e.path) && (best == nullptr || e.path.size() >= best->path.size()))
      best = &e;
  if (best != nullptr) return best->where;
  for (const auto& e : entries_)  // an error about a group: the first key set inside it
    if (starts_with(e.path, wanted)) return e.where;
  return std::nullopt;
}

ConfigError ValueSources::annotate(const ConfigError& error) const {
  if (error.key_path().empty()) return error;
  std::optional<std::string> where = find(error.key_path());
  return where ? error.with_source(*where) : error;
}

}  // namespace volt::host::config
