// Lightning's run folder rule, shared by file-based loggers: <save_dir>/<name>/version_<N>,
// where N is one more than the largest existing version_<k> (0 for the first run).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

// The schema properties of the keys run_folder(config) reads, for a logger's schema text:
//   R"json({"type": "object", "properties": {)json" VOLT_RUN_FOLDER_SCHEMA_PROPERTIES
//   R"json(, "other": {...}}})json"
#define VOLT_RUN_FOLDER_SCHEMA_PROPERTIES                                                   \
  R"json("save_dir": {"type": ["string", "null"], "default": null, )json"                   \
  R"json("description": "root folder (default: trainer.default_root_dir)"}, )json"          \
  R"json("name": {"type": "string", "default": "lightning_logs", )json"                     \
  R"json("description": "experiment folder under save_dir"}, )json"                         \
  R"json("version": {"type": ["integer", "null"], "default": null, )json"                   \
  R"json("description": "version number (default: next free version_N)"})json"

namespace volt::loggers {

inline int next_version(const std::filesystem::path& root) {
  int next = 0;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return 0;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind("version_", 0) != 0) continue;
    try {
      size_t used = 0;
      int v = std::stoi(name.substr(8), &used);
      if (used == name.size() - 8 && v >= next) next = v + 1;
    } catch (...) {  // not a number: not one of ours
    }
  }
  return next;
}

// `version` < 0 picks the next free one.
inline std::filesystem::path run_folder(const std::string& save_dir, const std::string& name,
                                        int version) {
  std::filesystem::path root = std::filesystem::path(save_dir) / name;
  if (version < 0) version = next_version(root);
  return root / ("version_" + std::to_string(version));
}

// The run folder from a logger config with Lightning's keys: save_dir (null = the working
// directory), name and version (null = the next free one).
inline std::filesystem::path run_folder(const nlohmann::json& config) {
  std::string save_dir = config.at("save_dir").is_string() ? config.at("save_dir").get<std::string>() : ".";
  int version = config.at("version").is_number() ? config.at("version").get<int>() : -1;
  return run_folder(save_dir, config.at("name").get<std::string>(), version);
}

}  // namespace volt::loggers
