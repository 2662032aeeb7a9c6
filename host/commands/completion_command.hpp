// `volt completion bash|zsh`: a shell completion script generated from the same data as the
// help (trainer schema, plugin schemas), so it offers every option and value the host accepts:
//   source <(volt completion bash)          # or save it under bash-completion's completions/
//   source <(volt completion zsh)           # after compinit
// The script is a snapshot of the plugins found when it was generated.
#pragma once

#include "plugin/registry.hpp"

#include <map>
#include <string>
#include <vector>

namespace volt::host {

// What completion offers.
struct CompletionData {
  std::vector<std::string> commands;     // fit, validate, ..., completion
  std::vector<std::string> flags;        // options without a value: --help, --overwrite-config
  std::vector<std::string> keyed;        // options taking =VALUE, without the '=': --model.lr
  std::vector<std::string> file_options; // options whose value is a path: --config, -c
  std::map<std::string, std::vector<std::string>> values;  // option -> its possible values
  std::vector<std::string> help_topics;  // trainer and every plugin id
};

CompletionData completion_data(const PluginRegistry& registry);

// The script for `shell` ("bash" or "zsh"). Throws ConfigError for another shell.
std::string completion_script(const std::string& shell, const CompletionData& data);

}  // namespace volt::host
