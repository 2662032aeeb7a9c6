#include "config/config_layers.hpp"

#include "config/config_error.hpp"
#include "config/did_you_mean.hpp"
#include "config/input_limits.hpp"
#include "config/json_schema.hpp"
#include "config/lightning_cli.hpp"
#include "config/value_sources.hpp"
#include "config/yaml_format.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace volt::host::config {
namespace {

using nlohmann::json;

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::string prefixed(const std::string& source, const std::string& message) {
  return source.empty() ? message : source + ": " + message;
}

std::vector<std::string> split_ids(const std::string& text) {
  std::vector<std::string> ids;
  std::stringstream stream(text);
  std::string id;
  while (std::getline(stream, id, ',')) {
    if (!id.empty()) ids.push_back(id);
  }
  return ids;
}

json selection_list(const json& value, const std::string& where) {
  json list = json::array();
  if (value.is_string()) {
    for (const auto& id : split_ids(value.get<std::string>())) {
      list.push_back(json{{"id", plugin_id_from(id)}, {"config", json::object()}});
    }
  } else if (value.is_object()) {
    list.push_back(normalize_plugin_selection(value, where, true));
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      list.push_back(
          normalize_plugin_selection(value[i], where + "[" + std::to_string(i) + "]", true));
    }
  } else {
    throw ConfigError(where, "expected a plugin id, a {\"id\": ..., \"config\": {...}} "
                      "object or a list of them, got " + describe_value(value));
  }
  return list;
}

// Lightning puts logger/callbacks/strategy/precision under trainer; Volt keeps them top level.
json hoist_trainer_aliases(const json& layer, const std::string& source) {
  if (!layer.contains("trainer") || !layer["trainer"].is_object()) return layer;
  json out = layer;
  for (const auto& alias : trainer_group_aliases()) {
    if (!out["trainer"].contains(alias)) continue;
    if (layer.contains(alias)) {
      throw ConfigError::at("trainer." + alias,
                            prefixed(source, "both trainer." + alias + " and " + alias +
                                                 " are given; keep one"));
    }
    out[alias] = out["trainer"][alias];
    out["trainer"].erase(alias);
  }
  return out;
}

void merge_plugin_selection(json& target, const json& selection) {
  if (!target.is_object()) target = json{{"config", json::object()}};
  // A different plugin does not understand the previous one's options.
  if (selection.contains("id") && target.value("id", selection["id"]) != selection["id"]) {
    target = json{{"config", json::object()}};
  }
  if (selection.contains("id")) target["id"] = selection["id"];
  if (!target.contains("config") || !target["config"].is_object()) target["config"] = json::object();
  deep_merge(target["config"], selection["config"]);
}

}  // namespace

const std::vector<std::string>& subcommand_names() {
  static const std::vector<std::string> names{"fit", "validate", "test", "predict"};
  return names;
}

bool is_subcommand(const std::string& name) { return contains(subcommand_names(), name); }

const std::vector<std::string>& config_top_level_keys() {
  static const std::vector<std::string> keys{
      "callbacks", "ckpt_path",       "data",     "logger",  "lr_scheduler",
      "model",     "optimizer",       "precision", "seed_everything", "strategy", "trainer"};
  return keys;
}

const std::vector<std::string>& single_plugin_groups() {
  static const std::vector<std::string> groups{"model", "data", "strategy", "precision"};
  return groups;
}

bool is_single_plugin_group(const std::string& key) {
  return contains(single_plugin_groups(), key);
}

const std::vector<std::string>& trainer_group_aliases() {
  static const std::vector<std::string> aliases{"callbacks", "logger", "precision", "strategy"};
  return aliases;
}

json default_logger_list() {
  return json::array({json{{"id", "csv"}, {"config", json::object()}}});
}

json normalize_plugin_selection(const json& value, const std::string& where, bool id_required) {
  if (value.is_string())
    return json{{"id", plugin_id_from(value.get<std::string>())}, {"config", json::object()}};
  if (!value.is_object()) {
    throw ConfigError(where, "expected a plugin id or {\"id\": ..., \"config\": {...}}, got " +
                      describe_value(value));
  }
  if (is_class_path_selection(value)) {
    json out = from_class_path_selection(value, where);
    if (id_required && !out.contains("id")) throw ConfigError(where, "missing \"class_path\"");
    return out;
  }
  // LightningCLI's plain `model: {KEY: V}` (the class fixed elsewhere): the options alone.
  if (!id_required && !value.contains("id") && !value.contains("config"))
    return json{{"config", value}};
  for (const auto& [key, unused] : value.items()) {
    if (key != "id" && key != "config") {
      throw ConfigError(where + "." + key, "unknown key; a plugin selection holds only \"id\" "
                        "and \"config\" (plugin options go under \"config\")");
    }
  }
  json out{{"config", json::object()}};
  if (value.contains("id")) {
    if (!value["id"].is_string()) {
      throw ConfigError(where + ".id", "expected a string, got " + describe_value(value["id"]));
    }
    out["id"] = value["id"];
  } else if (id_required) {
    throw ConfigError(where, "missing \"id\"");
  }
  if (value.contains("config") && !value["config"].is_null()) {
    if (!value["config"].is_object()) {
      throw ConfigError(where + ".config", "expected an object, got " +
                        describe_value(value["config"]));
    }
    out["config"] = value["config"];
  }
  return out;
}

json normalize_logger(const json& value, const std::string& where) {
  if (value.is_boolean() && !value.get<bool>()) return false;
  if (value.is_null() || value.is_boolean()) return default_logger_list();
  if (value.is_string() && (value == "false" || value == "true")) {
    return normalize_logger(value == "true", where);
  }
  return selection_list(value, where);
}

json normalize_callbacks(const json& value, const std::string& where) {
  if (value.is_null()) return json::array();
  return selection_list(value, where);
}

void deep_merge(json& target, const json& overlay) {
  if (!target.is_object() || !overlay.is_object()) {
    target = overlay;
    return;
  }
  for (const auto& [key, item] : overlay.items()) {
    if (target.contains(key)) {
      deep_merge(target[key], item);
    } else {
      target[key] = item;
    }
  }
}

void merge_config_layer(json& config, const json& given_layer, const std::string& source) {
  if (!given_layer.is_object()) {
    throw ConfigError(prefixed(source, "a config must be a JSON object, got " +
                                           describe_value(given_layer)));
  }
  if (!config.is_object()) config = json::object();
  const json layer = hoist_trainer_aliases(given_layer, source);
  for (const auto& [key, value] : layer.items()) {
    const std::string where = prefixed(source, key);
    if (is_single_plugin_group(key)) {
      merge_plugin_selection(config[key], normalize_plugin_selection(value, where, false));
    } else if (key == "logger") {
      config[key] = normalize_logger(value, where);
    } else if (key == "callbacks") {
      config[key] = normalize_callbacks(value, where);
    } else if (key == "trainer") {
      if (!value.is_object()) {
        throw ConfigError(where, "expected an object, got " + describe_value(value));
      }
      if (!config.contains(key) || !config[key].is_object()) config[key] = json::object();
      deep_merge(config[key], value);
    } else if (key == "seed_everything" || key == "ckpt_path") {
      config[key] = value;
    } else if (key == "optimizer" || key == "lr_scheduler") {
      // LightningCLI's automatic arguments: options of the module (lightning_cli.hpp).
      json options = key == "optimizer" ? optimizer_as_model_config(value, where)
                                        : lr_scheduler_as_model_config(value, where);
      merge_plugin_selection(config["model"], json{{"config", options}});
    } else {
      const auto& accepted = config_top_level_keys();
      const std::string suggestion = did_you_mean(key, accepted);
      throw ConfigError::at(key, prefixed(source, "unknown top-level key '" + key + "'" +
                                                      (suggestion.empty() ? "." : suggestion) +
                                                      " Accepted keys: " + join(accepted, ", ")));
    }
  }
}

json read_config_file(const std::string& path, const std::string& source,
                      KeyPositions* positions) {
  std::string text = read_bounded_file(path, source);
  if (std::filesystem::path(path).extension() != ".json") return parse_yaml(text, source, positions);
  json content = parse_json_limited(text, source);
  // JSON is YAML too: its reader knows where the keys are (nlohmann's does not). A file it
  // reads otherwise (a JSON detail YAML disagrees on) is named without lines.
  if (positions != nullptr) {
    try {
      parse_yaml(text, source, positions);
    } catch (const ConfigError&) {
      positions->clear();
    }
  }
  return content;
}

void merge_config_file(json& config, const std::string& path, const std::string& subcommand,
                       const std::string& given_source, ValueSources* sources) {
  const std::string source = given_source.empty() ? "--config " + path : given_source;
  KeyPositions positions;
  const json content = read_config_file(path, source, &positions);
  if (!content.is_object()) {
    throw ConfigError(source + ": a config must be a mapping of keys to values, got " +
                      describe_value(content));
  }
  json common = json::object();
  bool has_sections = false;
  for (const auto& [key, value] : content.items()) {
    if (is_subcommand(key)) {
      has_sections = true;
    } else {
      common[key] = value;
    }
  }
  // Sections of other subcommands set nothing for this one.
  KeyPositions used;
  for (auto& p : positions)
    if (!is_subcommand(p.path.front()) || p.path.front() == subcommand) used.push_back(std::move(p));
  // An error while merging names the file already; the line and column are added.
  auto merge = [&](const json& layer, const std::string& layer_source) {
    try {
      merge_config_layer(config, layer, layer_source);
    } catch (const ConfigError& e) {
      ValueSources here;
      here.add_file(used, "");
      std::string key = e.key_path();
      if (key.rfind(layer_source + ": ", 0) == 0) key = key.substr(layer_source.size() + 2);
      std::optional<std::string> where = here.find(key);
      throw where ? e.with_source(*where) : e;
    }
  };
  merge(common, source);
  if (has_sections && content.contains(subcommand))
    merge(content[subcommand], source + " (section '" + subcommand + "')");
  if (sources != nullptr) sources->add_file(used, "set in " + path + ", ");
}

json parse_value_text(const std::string& text) {
  return parse_json_limited(text, "the value '" + text.substr(0, 40) + (text.size() > 40 ? "...'" : "'"),
                            /*or_string=*/true);
}

void set_key_path(json& target, const std::vector<std::string>& keys, const json& value) {
  if (keys.empty()) {
    if (!value.is_object()) {
      throw ConfigError("expected a JSON object, got " + describe_value(value));
    }
    deep_merge(target, value);
    return;
  }
  json* node = &target;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    if (!node->is_object()) *node = json::object();
    node = &(*node)[keys[i]];
  }
  if (!node->is_object()) *node = json::object();
  (*node)[keys.back()] = value;
}

}  // namespace volt::host::config
