#include "config/command_line.hpp"

#include "config/config_error.hpp"
#include "config/config_layers.hpp"
#include "config/input_limits.hpp"
#include "config/did_you_mean.hpp"
#include "config/json_schema.hpp"
#include "config/trainer_schema.hpp"

#include <algorithm>
#include <cctype>

namespace volt::host::config {
namespace {

using nlohmann::json;

constexpr const char* kEnvPrefix = "VOLT_TRAINER_";

const std::vector<std::string>& option_heads() {
  static const std::vector<std::string> heads{
      "config",   "print-config", "plugin-dir", "help",   "seed_everything", "ckpt_path",
      "trainer",  "model",        "data",       "strategy", "precision",     "logger",
      "callbacks", "overwrite-config", "plugin-allowlist", "allow-insecure-plugins"};
  return heads;
}

const char* kAcceptedOptions =
    "Accepted options: --config FILE, --print-config[=yaml|json], --overwrite-config, "
    "--plugin-dir DIR, --plugin-allowlist FILE, --allow-insecure-plugins, --help, "
    "--seed_everything=N, --ckpt_path=PATH, --trainer.KEY=V, --model=ID, --model.KEY=V, "
    "--data=ID, --data.KEY=V, --strategy=ID, --strategy.KEY=V, --precision=ID, "
    "--precision.KEY=V, --logger=ID[,ID]|false|true, --logger.ID.KEY=V, --callbacks+=ID, "
    "--callbacks.KEY=V";

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::vector<std::string> split_name(const std::string& name, const std::string& source) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    parts.push_back(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (parts.back().empty()) throw ConfigError(source + ": malformed option name");
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

bool looks_like_json_container(const std::string& text) {
  return !text.empty() && (text.front() == '{' || text.front() == '[');
}

json parse_json_or_fail(const std::string& text, const std::string& source) {
  return parse_json_limited(text, source);
}

// A flag that selects a plugin: a JSON object or list, else the text as an id.
json selection_text(const std::string& value, const std::string& source) {
  return looks_like_json_container(value) ? parse_json_or_fail(value, source) : json(value);
}

[[noreturn]] void fail_unknown_option(const std::vector<std::string>& parts, bool append,
                                      const std::string& source) {
  std::string message = "unknown option '" + source + "'";
  if (const auto head = closest_match(parts.front(), option_heads())) {
    std::string suggestion = "--" + *head;
    for (std::size_t i = 1; i < parts.size(); ++i) suggestion += "." + parts[i];
    message += "; did you mean '" + suggestion + (append ? "+" : "") + "'?";
  } else {
    message += ".";
  }
  throw ConfigError(message + " " + kAcceptedOptions);
}

void select_loggers(json& config, const std::string& value, const std::string& source) {
  if (value == "false" || value == "true" || value == "null" || looks_like_json_container(value)) {
    merge_config_layer(config, json{{"logger", parse_json_or_fail(value, source)}}, source);
    return;
  }
  // Keep the options of loggers that stay selected.
  const json previous = config.value("logger", json());
  json chosen = normalize_logger(json(value), source);
  for (auto& entry : chosen) {
    if (!previous.is_array()) break;
    for (const auto& old : previous) {
      if (old.value("id", "") == entry["id"]) entry = old;
    }
  }
  config["logger"] = chosen;
}

json& selected_logger(json& config, const std::string& id, const std::string& source) {
  if (!config.contains("logger") || config["logger"].is_null()) {
    config["logger"] = default_logger_list();
  }
  json& loggers = config["logger"];
  if (!loggers.is_array()) {
    throw ConfigError(source + ": logging is disabled (logger=false); select loggers first "
                      "with --logger=" + id);
  }
  std::vector<std::string> ids;
  for (auto& entry : loggers) {
    if (entry.value("id", "") == id) return entry;
    ids.push_back(entry.value("id", ""));
  }
  ids.push_back(id);
  throw ConfigError(source + ": logger '" + id + "' is not selected (selected: " +
                    (ids.size() > 1 ? join(std::vector<std::string>(ids.begin(), ids.end() - 1), ", ")
                                    : std::string("none")) +
                    "); select it with --logger=" + join(ids, ","));
}

void apply_callbacks_option(json& config, const std::vector<std::string>& keys, bool append,
                            const std::string& value, const std::string& source) {
  if (append) {
    const json selection = selection_text(value, source);
    if (!config.contains("callbacks") || !config["callbacks"].is_array()) {
      config["callbacks"] = json::array();
    }
    config["callbacks"].push_back(normalize_plugin_selection(selection, source, true));
    return;
  }
  if (keys.empty()) {
    const json list = value == "null" || looks_like_json_container(value)
                          ? parse_json_or_fail(value, source)
                          : json(value);
    merge_config_layer(config, json{{"callbacks", list}}, source);
    return;
  }
  // LightningCLI: options after `--trainer.callbacks+=ID` belong to that last callback.
  if (!config.contains("callbacks") || !config["callbacks"].is_array() ||
      config["callbacks"].empty()) {
    throw ConfigError(source + ": no callback to apply it to; append one first with "
                      "--trainer.callbacks+=ID");
  }
  set_key_path(config["callbacks"].back()["config"], keys, parse_value_text(value));
}

// After `--name` was applied: records the path it set, as errors will name it (the callback an
// option after --callbacks+=ID belongs to is the last one).
void record_option(ValueSources& sources, const json& config, std::string name,
                   const std::string& value, const std::string& source) {
  const bool append = !name.empty() && name.back() == '+';
  if (append) name.pop_back();
  std::vector<std::string> path = split_name(name, source);  // apply_option accepted it
  size_t head = path.size() >= 2 && path[0] == "trainer" && contains(trainer_group_aliases(), path[1]) ? 1 : 0;
  auto callbacks = config.find("callbacks");
  if (path[head] == "callbacks" && (append || path.size() > head + 1) && callbacks != config.end() &&
      callbacks->is_array() && !callbacks->empty())
    path.insert(path.begin() + static_cast<std::ptrdiff_t>(head) + 1,
                std::to_string(callbacks->size() - 1));
  // An appended callback is named with its id: "--trainer.callbacks+=early_stopping".
  sources.add(path, "set by " + source + (append ? "=" + value : std::string()));
}

// LightningCLI's order below the command line: a whole config file, then single options.
void apply_environment(ParsedCommand& out, const std::map<std::string, std::string>& env) {
  const auto get = [&env](const char* name) {
    const auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  if (const std::string file = get("VOLT_CONFIG"); !file.empty()) {
    merge_config_file(out.config, file, out.subcommand, "VOLT_CONFIG=" + file + " (environment)",
                      &out.sources);
  }
  for (const auto& [variable, value] : env) {
    if (variable.rfind(kEnvPrefix, 0) != 0 || value.empty()) continue;
    std::string key = variable.substr(std::string(kEnvPrefix).size());
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string source = variable + " (environment)";
    std::vector<std::string> known = trainer_option_names();
    known.insert(known.end(), trainer_group_aliases().begin(), trainer_group_aliases().end());
    if (!contains(known, key)) {
      const std::string suggestion = did_you_mean(key, known);
      throw ConfigError(source + ": unknown trainer option '" + key + "'" +
                        (suggestion.empty() ? "." : suggestion) + " Accepted: " +
                        join(trainer_option_names(), ", "));
    }
    apply_option(out.config, "trainer." + key, value, source);
    record_option(out.sources, out.config, "trainer." + key, value, source);
  }
  for (const char* key : {"seed_everything", "ckpt_path"}) {
    std::string variable = "VOLT_" + std::string(key);
    std::transform(variable.begin(), variable.end(), variable.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (const std::string value = get(variable.c_str()); !value.empty()) {
      apply_option(out.config, key, value, variable + " (environment)");
      record_option(out.sources, out.config, key, value, variable + " (environment)");
    }
  }
  const PluginEnvironment plugins = plugin_environment(env);
  out.plugin_allowlist = plugins.allowlist;
  out.allow_insecure_plugins = plugins.allow_insecure;
}

}  // namespace

PluginEnvironment plugin_environment(const std::map<std::string, std::string>& env) {
  PluginEnvironment out;
  if (auto it = env.find("VOLT_PLUGIN_ALLOWLIST"); it != env.end()) out.allowlist = it->second;
  if (auto it = env.find("VOLT_ALLOW_INSECURE_PLUGINS"); it != env.end()) {
    const std::string& text = it->second;
    out.allow_insecure = text == "1" || text == "true" || text == "yes" || text == "on";
  }
  return out;
}

void apply_option(json& config, const std::string& name, const std::string& value,
                  const std::string& source) {
  std::string key = name;
  const bool append = !key.empty() && key.back() == '+';
  if (append) key.pop_back();
  std::vector<std::string> parts = split_name(key, source);
  if (parts.size() >= 2 && parts[0] == "trainer" && contains(trainer_group_aliases(), parts[1])) {
    parts.erase(parts.begin());
  }
  const std::string head = parts.front();
  std::vector<std::string> keys(parts.begin() + 1, parts.end());
  // LightningCLI: --model.init_args.KEY is --model.KEY, --model.class_path=X is --model=X.
  if (!keys.empty() && keys.front() == "init_args" && head != "logger") keys.erase(keys.begin());
  if (keys.size() == 1 && keys.front() == "class_path" &&
      (is_single_plugin_group(head) || head == "optimizer" || head == "lr_scheduler")) {
    apply_option(config, head, value, source);
    return;
  }
  if (head == "optimizer" || head == "lr_scheduler") {
    json layer = json::object();
    if (keys.empty()) layer = selection_text(value, source);
    else set_key_path(layer, keys, parse_value_text(value));
    merge_config_layer(config, json{{head, layer}}, source);
    return;
  }
  if (append && !(head == "callbacks" && keys.empty())) {
    if (!contains(config_top_level_keys(), head)) fail_unknown_option(parts, append, source);
    throw ConfigError(source + ": '+=' only appends to the callback list "
                      "(--trainer.callbacks+=ID)");
  }
  if (!config.is_object()) config = json::object();

  if (head == "seed_everything" || head == "ckpt_path") {
    if (!keys.empty()) fail_unknown_option(parts, append, source);
    // A checkpoint path is a path even when it looks like a number.
    config[head] = head == "ckpt_path" ? (value == "null" ? json() : json(value))
                                       : parse_value_text(value);
  } else if (head == "trainer") {
    if (keys.empty()) {
      merge_config_layer(config, json{{"trainer", parse_json_or_fail(value, source)}}, source);
    } else {
      if (!config.contains("trainer") || !config["trainer"].is_object()) {
        config["trainer"] = json::object();
      }
      set_key_path(config["trainer"], keys, parse_value_text(value));
    }
  } else if (is_single_plugin_group(head)) {
    if (keys.empty()) {
      const json selection = selection_text(value, source);
      merge_config_layer(config, json{{head, selection}}, source);
    } else {
      merge_config_layer(config, json{{head, json{{"config", json::object()}}}}, source);
      set_key_path(config[head]["config"], keys, parse_value_text(value));
    }
  } else if (head == "logger") {
    if (keys.empty()) {
      select_loggers(config, value, source);
    } else {
      json& entry = selected_logger(config, keys.front(), source);
      const std::vector<std::string> option_keys(keys.begin() + 1, keys.end());
      try {
        set_key_path(entry["config"], option_keys, parse_value_text(value));
      } catch (const ConfigError& e) {
        throw ConfigError(source + ": " + e.what());
      }
    }
  } else if (head == "callbacks") {
    apply_callbacks_option(config, keys, append, value, source);
  } else {
    fail_unknown_option(parts, append, source);
  }
}

ParsedCommand parse_command_line(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& env) {
  ParsedCommand out;
  const std::string subcommands = join(subcommand_names(), ", ");
  if (args.empty()) throw ConfigError("missing subcommand; expected one of " + subcommands);
  if (args[0] == "--help" || args[0] == "-h") {
    out.help = true;
    return out;
  }
  // LightningCLI also takes config files before the subcommand (`--config FILE fit`); they
  // apply first, below everything after it.
  std::vector<std::string> leading_configs;
  std::size_t first = 0;
  while (first < args.size() && !is_subcommand(args[first])) {
    const std::string& arg = args[first];
    if ((arg == "--config" || arg == "-c") && first + 1 < args.size()) {
      leading_configs.push_back(args[first + 1]);
      first += 2;
    } else if (arg.rfind("--config=", 0) == 0) {
      leading_configs.push_back(arg.substr(9));
      first += 1;
    } else {
      break;
    }
  }
  if (first >= args.size() || !is_subcommand(args[first])) {
    const std::string word = first < args.size() ? args[first] : "";
    if (word.empty()) throw ConfigError("missing subcommand; expected one of " + subcommands);
    const std::string suggestion = did_you_mean(word, subcommand_names());
    throw ConfigError("unknown subcommand '" + word + "'" +
                      (suggestion.empty() ? "." : suggestion) + " Available: " + subcommands +
                      (first == 0 ? "" : " (only --config may come before it)"));
  }
  out.subcommand = args[first];

  apply_environment(out, env);
  for (const auto& path : leading_configs)
    merge_config_file(out.config, path, out.subcommand, "", &out.sources);
  for (std::size_t i = first + 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      out.help = true;
      continue;
    }
    const bool short_config = arg == "-c";
    if (!short_config && (arg.rfind("--", 0) != 0 || arg.size() == 2)) {
      throw ConfigError("unexpected argument '" + arg + "'; options look like --key=value. " +
                        kAcceptedOptions);
    }
    const std::string body = short_config ? "config" : arg.substr(2);
    const auto equals = body.find('=');
    const std::string name = body.substr(0, equals);
    const bool has_value = equals != std::string::npos;
    std::string value = has_value ? body.substr(equals + 1) : "";
    if (name == "print-config" || name == "print_config") {
      if (has_value && value != "json" && value != "yaml") {
        throw ConfigError("--" + name + "=" + value + ": unknown format; expected yaml or json");
      }
      out.print_config = true;
      if (has_value) out.print_format = value;
      continue;
    }
    if (name == "help" || name == "overwrite-config" || name == "allow-insecure-plugins") {
      if (has_value) throw ConfigError("--" + name + " takes no value");
      (name == "help" ? out.help : name == "overwrite-config" ? out.overwrite_config
                                                              : out.allow_insecure_plugins) = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0) {
        throw ConfigError(arg + ": missing value (use " + arg + "=VALUE)");
      }
      value = args[++i];
    }
    if (name == "config") {
      merge_config_file(out.config, value, out.subcommand, "", &out.sources);
    } else if (name == "plugin-dir" || name == "plugin_dir") {
      out.plugin_dirs.push_back(value);
    } else if (name == "plugin-allowlist") {
      out.plugin_allowlist = value;
    } else {
      apply_option(out.config, name, value, "--" + name);
      record_option(out.sources, out.config, name, value, "--" + name);
    }
  }
  return out;
}

}  // namespace volt::host::config
