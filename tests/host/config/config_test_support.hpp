// Shared by the config tests: a fake plugin catalog and temporary config files.
#pragma once

#include "config/config_error.hpp"
#include "config/config_resolver.hpp"
#include "support/remove_tree.hpp"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace volt::host::config::testing {

// Schemas like real plugins would declare, keyed by kind then id.
inline const nlohmann::json& fake_plugin_schemas() {
  static const nlohmann::json schemas = nlohmann::json::parse(R"json({
    "model": {
      "mlp": {"type": "object", "additionalProperties": false, "properties": {
        "in_features": {"type": "integer", "minimum": 1, "default": 784,
                        "description": "Input features"},
        "hidden_sizes": {"type": "array", "items": {"type": "integer", "minimum": 1},
                         "minItems": 1, "default": [128], "description": "Hidden layer widths"},
        "num_classes": {"type": "integer", "minimum": 2, "default": 10},
        "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.001,
               "description": "Learning rate"},
        "optimizer": {"type": "string", "enum": ["sgd", "adam", "adamw"], "default": "adam"}}},
      "cnn": {"type": "object", "additionalProperties": false, "properties": {
        "channels": {"type": "integer", "default": 32}}}
    },
    "data": {
      "fashion_mnist": {"type": "object", "additionalProperties": false, "properties": {
        "root": {"type": "string", "default": "data"},
        "batch_size": {"type": "integer", "minimum": 1, "default": 64},
        "num_workers": {"type": "integer", "minimum": 0, "default": 0}}}
    },
    "strategy": {
      "single_device": {"type": "object", "additionalProperties": false},
      "ddp": {"type": "object", "additionalProperties": false, "properties": {
        "find_unused_parameters": {"type": "boolean", "default": false}}}
    },
    "precision": {
      "32-true": {"type": "object", "additionalProperties": false},
      "16-mixed": {"type": "object", "additionalProperties": false, "properties": {
        "init_scale": {"type": "number", "exclusiveMinimum": 0, "default": 65536.0}}}
    },
    "logger": {
      "csv": {"type": "object", "additionalProperties": false, "properties": {
        "name": {"type": "string", "default": "lightning_logs"},
        "flush_logs_every_n_steps": {"type": "integer", "minimum": 1, "default": 100}}},
      "tensorboard": {"type": "object", "additionalProperties": false, "properties": {
        "log_graph": {"type": "boolean", "default": false}}}
    },
    "callback": {
      "early_stopping": {"type": "object", "additionalProperties": false,
        "required": ["monitor"], "properties": {
        "monitor": {"type": "string", "description": "Metric to watch"},
        "patience": {"type": "integer", "minimum": 0, "default": 3},
        "mode": {"type": "string", "enum": ["min", "max"], "default": "min"}}},
      "model_checkpoint": {"type": "object", "additionalProperties": false, "properties": {
        "monitor": {"type": ["string", "null"], "default": null},
        "save_top_k": {"type": "integer", "minimum": -1, "default": 1}}}
    }
  })json");
  return schemas;
}

inline SchemaLookup fake_lookup() {
  return [](const std::string& kind, const std::string& id) -> std::optional<nlohmann::json> {
    const auto& schemas = fake_plugin_schemas();
    if (!schemas.contains(kind) || !schemas[kind].contains(id)) return std::nullopt;
    return schemas[kind][id];
  };
}

inline IdLister fake_ids() {
  return [](const std::string& kind) {
    std::vector<std::string> ids;
    const auto& schemas = fake_plugin_schemas();
    if (schemas.contains(kind)) {
      for (const auto& [id, unused] : schemas[kind].items()) ids.push_back(id);
    }
    return ids;
  };
}

using Env = std::map<std::string, std::string>;

// parse_command_line + validate_and_fill against the fake catalog.
inline nlohmann::json resolve(const std::vector<std::string>& args, const Env& env = {}) {
  return validate_and_fill(parse_command_line(args, env).config, fake_lookup(), fake_ids());
}

// The ConfigError message of resolve(args), or "" when it succeeds.
inline std::string resolve_error(const std::vector<std::string>& args, const Env& env = {}) {
  try {
    resolve(args, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// A fresh directory under the system temp dir, removed with its files at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("volt_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { volt::test::remove_tree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `name` inside the directory; returns the full path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace volt::host::config::testing
