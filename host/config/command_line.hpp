// The `volt SUBCOMMAND [options]` command line turned into a config (LightningCLI rules,
// lightning.md section 10): environment defaults first, then config files and flags left to
// right, each overriding what came before.
//
// Options (each `--key=value` also works as `--key value`):
//   --config FILE, -c FILE          merge a JSON config file here (repeatable)
//   --model=ID, --data=ID, --strategy=ID, --precision=ID
//                                   select a plugin; another id drops that group's options
//   --model.KEY=V (also data, strategy, precision; nested: --model.optim.lr=V)
//   --trainer.KEY=V                 a trainer option (trainer_schema.hpp)
//   --logger=ID[,ID] | false | true one or more loggers, none, or the default [csv]
//   --logger.ID.KEY=V               an option of the selected logger ID
//   --callbacks+=ID                 append a callback; later --callbacks.KEY=V set its options
//   --callbacks=ID[,ID] | JSON list replace the callback list
//   --seed_everything=V, --ckpt_path=PATH
//   --trainer.{logger,callbacks,strategy,precision}...   Lightning spellings of the above
//   --GROUP=JSON_OBJECT             merge an object into a group, e.g. --trainer={"max_epochs":3}
//   --print-config[=yaml|json]      print the resolved config (YAML unless json is asked)
//   --overwrite-config              let the run replace an existing config.yaml in its folder
//   --plugin-dir DIR (repeatable), --plugin-allowlist FILE, --allow-insecure-plugins
//   --help / -h
// Values are JSON when they parse as JSON, otherwise strings (--data.root=/tmp/x). Plugin ids
// and ckpt_path are taken verbatim.
//
// Environment, below every argument (LightningCLI's default_env): first VOLT_CONFIG=FILE
// (a config file, as PL_FIT__CONFIG), then VOLT_TRAINER_<KEY>=V as --trainer.<key>=V and
// VOLT_SEED_EVERYTHING / VOLT_CKPT_PATH. So defaults < environment < files and flags.
// VOLT_PLUGIN_ALLOWLIST and VOLT_ALLOW_INSECURE_PLUGINS=1 are the defaults of the plugin flags.
#pragma once

#include "config/value_sources.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace volt::host::config {

struct ParsedCommand {
  std::string subcommand;  // fit, validate, test or predict; "" when only --help was given
  // What the environment, files and flags set; not validated, no defaults. Feed it to
  // validate_and_fill (config_resolver.hpp).
  nlohmann::json config = nlohmann::json::object();
  // Who set each value of `config` (file and line, flag, variable), for errors found later.
  ValueSources sources;
  bool print_config = false;  // --print-config: print the resolved config and exit
  std::string print_format = "yaml";  // --print-config=json
  bool overwrite_config = false;  // --overwrite-config
  std::vector<std::string> plugin_dirs;  // --plugin-dir, in order
  std::string plugin_allowlist;  // --plugin-allowlist FILE ("" = none)
  bool allow_insecure_plugins = false;  // --allow-insecure-plugins
  bool help = false;
};

// `args` are the arguments after the program name; args[0] is the subcommand (or --help).
// `env` is the process environment (only VOLT_TRAINER_* entries are read). Throws ConfigError
// naming the flag, file or variable at fault.
ParsedCommand parse_command_line(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& env);

// The environment's defaults of the plugin loading flags, read the same way by every command:
// VOLT_PLUGIN_ALLOWLIST, and VOLT_ALLOW_INSECURE_PLUGINS (1, true, yes or on).
struct PluginEnvironment {
  std::string allowlist;
  bool allow_insecure = false;
};
PluginEnvironment plugin_environment(const std::map<std::string, std::string>& env);

// Applies one `--name=value` option (name without the dashes) to `config`, as the parser does.
// `source` prefixes errors. Exposed for callers that build configs programmatically.
void apply_option(nlohmann::json& config, const std::string& name, const std::string& value,
                  const std::string& source);

}  // namespace volt::host::config
