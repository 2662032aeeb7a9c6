// Where plugins come from and which may load, as every command that loads plugins takes it:
// --plugin-dir DIR (repeatable), --plugin-allowlist FILE, --allow-insecure-plugins, with
// VOLT_PLUGIN_PATH, VOLT_PLUGIN_ALLOWLIST and VOLT_ALLOW_INSECURE_PLUGINS below them.
#pragma once

#include "config/command_line.hpp"
#include "plugin/registry.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace volt::host {

struct PluginLoading {
  std::vector<std::string> dirs;  // --plugin-dir, in order (VOLT_PLUGIN_PATH is added later)
  std::string allowlist;          // "" = every library that passes the permission checks
  bool allow_insecure = false;
};

// The plugin options of a run command (fit, validate, test, predict).
PluginLoading plugin_loading(const config::ParsedCommand& command);

// For commands without a config (plugins, help, completion): removes the plugin options from
// `args` and returns them, starting from the environment's defaults. Throws ConfigError for a
// plugin option without its value.
PluginLoading take_plugin_options(std::vector<std::string>& args,
                                  const std::map<std::string, std::string>& env);

// A registry that scanned the search path (plugin_search_path) under these options. Files that
// were refused are in its skipped(). `scanned`, when given, receives the folders scanned.
std::unique_ptr<PluginRegistry> open_registry(const PluginLoading& loading,
                                              std::vector<std::filesystem::path>* scanned = nullptr);

}  // namespace volt::host
