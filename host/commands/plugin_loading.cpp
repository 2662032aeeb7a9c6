#include "commands/plugin_loading.hpp"

#include "config/config_error.hpp"
#include "plugin/load_policy.hpp"

namespace volt::host {

PluginLoading plugin_loading(const config::ParsedCommand& command) {
  return {command.plugin_dirs, command.plugin_allowlist, command.allow_insecure_plugins};
}

PluginLoading take_plugin_options(std::vector<std::string>& args,
                                  const std::map<std::string, std::string>& env) {
  const config::PluginEnvironment defaults = config::plugin_environment(env);
  PluginLoading out{{}, defaults.allowlist, defaults.allow_insecure};
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--allow-insecure-plugins") {
      out.allow_insecure = true;
      continue;
    }
    bool taken = false;
    for (const std::string name : {"--plugin-dir", "--plugin-allowlist"}) {
      std::string value;
      if (arg == name) {
        if (i + 1 >= args.size()) throw config::ConfigError(name + ": missing value");
        value = args[++i];
      } else if (arg.rfind(name + "=", 0) == 0) {
        value = arg.substr(name.size() + 1);
      } else {
        continue;
      }
      if (name == "--plugin-dir") {
        out.dirs.push_back(value);
      } else {
        out.allowlist = value;
      }
      taken = true;
      break;
    }
    if (!taken) rest.push_back(arg);
  }
  args = rest;
  return out;
}

std::unique_ptr<PluginRegistry> open_registry(const PluginLoading& loading,
                                              std::vector<std::filesystem::path>* scanned) {
  LoadPolicy policy;
  policy.allow_insecure = loading.allow_insecure;
  if (!loading.allowlist.empty()) policy.allowlist = loading.allowlist;
  auto registry = std::make_unique<PluginRegistry>(host_api(), policy);
  const std::vector<std::filesystem::path> dirs = plugin_search_path(loading.dirs);
  for (const auto& dir : dirs) registry->scan_directory(dir);
  if (scanned != nullptr) *scanned = dirs;
  return registry;
}

}  // namespace volt::host
