// `volt --help`, `volt SUBCOMMAND --help` and `volt help TOPIC`: help generated from the trainer
// schema and from the schema each plugin declares, so a plugin documents itself by writing its
// schema once.
#pragma once

#include "plugin/registry.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace volt::host {

// The prefix of a plugin's options on the command line: its config_group (registry.hpp), or
// "logger.<id>" for a logger ("callbacks" options apply to the last --callbacks+=ID).
std::string option_prefix(int32_t kind, const std::string& id);

// The usage, the host's options, the trainer's options and the plugins found. With a
// `subcommand` (fit, validate, test, predict) the text is about that command, and `config`
// (what its command line selected so far) adds the options of each selected plugin.
void print_help(const std::string& subcommand, const nlohmann::json& config,
                const PluginRegistry& registry, std::ostream& out);

// `volt help TOPIC...`: TOPIC is "trainer", a plugin id, or a kind and an id ("logger csv")
// when an id names plugins of several kinds (then all of them are shown without the kind).
// Throws ConfigError for an unknown topic, naming the nearest id.
void print_topic_help(const std::vector<std::string>& topic, const PluginRegistry& registry,
                      std::ostream& out);

}  // namespace volt::host
