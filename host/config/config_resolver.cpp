#include "config/config_resolver.hpp"

#include "config/config_error.hpp"
#include "config/config_layers.hpp"
#include "config/did_you_mean.hpp"
#include "config/json_schema.hpp"
#include "config/lightning_cli.hpp"
#include "config/trainer_schema.hpp"

#include <cstdint>
#include <random>
#include <map>
#include <set>

namespace volt::host::config {
namespace {

using nlohmann::json;

struct KindNames {
  const char* kind;    // what SchemaLookup receives
  const char* plural;  // "Available modules: ..."
  const char* flag;    // how to select one
};

KindNames kind_names(const std::string& group) {
  if (group == "model") return {"model", "modules", "--model=ID"};
  if (group == "data") return {"data", "datamodules", "--data=ID"};
  if (group == "strategy") return {"strategy", "strategies", "--strategy=ID"};
  if (group == "precision") return {"precision", "precision plugins", "--precision=ID"};
  if (group == "logger") return {"logger", "loggers", "--logger=ID"};
  return {"callback", "callbacks", "--callbacks+=ID"};
}

std::string available_text(const std::vector<std::string>& ids) {
  return ids.empty() ? std::string("none (is --plugin-dir right?)") : join(ids, ", ");
}

// Checks one {"id", "config"} selection against its plugin's schema.
json resolve_selection(const json& selection, const std::string& group, const std::string& where,
                       const SchemaLookup& lookup, const IdLister& list_ids) {
  const KindNames names = kind_names(group);
  const std::string id = selection.at("id").get<std::string>();
  const std::optional<json> schema = lookup(names.kind, id);
  if (!schema) {
    const std::vector<std::string> ids = list_ids(names.kind);
    throw ConfigError(where, "unknown id '" + id + "'" + did_you_mean(id, ids) +
                      (closest_match(id, ids) ? " " : ". ") + "Available " + names.plural +
                      ": " + available_text(ids));
  }
  json filled = apply_schema(*schema, selection.at("config"), where);
  if (!filled.is_object()) {
    throw ConfigError(where, "the config must be an object, got " + describe_value(filled));
  }
  return json{{"id", id}, {"config", filled}};
}

// Lightning's legacy precision names (_PRECISION_INPUT_STR_ALIAS), as strings or numbers.
json precision_alias(const json& value) {
  static const std::map<std::string, std::string> aliases{
      {"16", "16-mixed"}, {"bf16", "bf16-mixed"}, {"32", "32-true"}, {"64", "64-true"}};
  auto rename = [&](const json& id) -> json {
    std::string text = id.is_number_integer() ? std::to_string(id.get<int64_t>())
                                              : id.is_string() ? id.get<std::string>() : "";
    auto it = aliases.find(text);
    return it != aliases.end() ? json(it->second) : id;
  };
  if (value.is_string() || value.is_number_integer()) return rename(value);
  if (value.is_object() && value.contains("id")) {
    json out = value;
    out["id"] = rename(value["id"]);
    return out;
  }
  return value;
}

json resolve_single_group(const json& config, const std::string& group,
                          const SchemaLookup& lookup, const IdLister& list_ids) {
  json selection;
  if (group == "strategy" && !config.contains(group)) {
    selection = json{{"id", "single_device"}, {"config", json::object()}};
  } else if (group == "precision" && !config.contains(group)) {
    selection = json{{"id", "32-true"}, {"config", json::object()}};
  } else if (config.contains(group)) {
    selection = normalize_plugin_selection(
        group == "precision" ? precision_alias(config[group]) : config[group], group, false);
    if (group == "strategy" && selection.value("id", "") == "auto")
      selection["id"] = auto_strategy_id(config.value("trainer", json::object()));
  }
  if (!selection.contains("id")) {
    const KindNames names = kind_names(group);
    const std::string what = group == "data" ? "datamodule" : group;
    throw ConfigError("no " + what + " selected: pass " + names.flag + " (available: " +
                      available_text(list_ids(names.kind)) + ")");
  }
  return resolve_selection(selection, group, group, lookup, list_ids);
}

json resolve_loggers(const json& config, const SchemaLookup& lookup, const IdLister& list_ids) {
  const json loggers = normalize_logger(config.value("logger", json()), "logger");
  if (!loggers.is_array()) return false;
  json out = json::array();
  std::set<std::string> seen;
  for (const auto& entry : loggers) {
    const std::string id = entry["id"].get<std::string>();
    // Logger options are addressed by id (--logger.csv.KEY), so ids must be unique.
    if (!seen.insert(id).second) throw ConfigError("logger", "'" + id + "' is selected twice");
    out.push_back(resolve_selection(entry, "logger", "logger." + id, lookup, list_ids));
  }
  return out;
}

json resolve_callbacks(const json& config, const SchemaLookup& lookup, const IdLister& list_ids) {
  const json callbacks = normalize_callbacks(config.value("callbacks", json()), "callbacks");
  json out = json::array();
  for (std::size_t i = 0; i < callbacks.size(); ++i) {
    out.push_back(resolve_selection(callbacks[i], "callbacks",
                                    "callbacks[" + std::to_string(i) + "]", lookup, list_ids));
  }
  return out;
}

json resolve_seed(const json& config) {
  static const json schema = json::parse(R"({
    "type": ["integer", "boolean", "null"], "minimum": 0, "maximum": 4294967295})");
  const json seed = apply_schema(schema, config.value("seed_everything", json(true)),
                                 "seed_everything");
  if (seed.is_null()) return false;
  if (seed.is_boolean() && seed.get<bool>()) {
    // Lightning's seed_everything=True: a random seed, written down so the run can be repeated.
    std::random_device device;
    return std::uniform_int_distribution<std::uint32_t>()(device);
  }
  return seed;
}

}  // namespace

json validate_and_fill(const json& given, const SchemaLookup& lookup, const IdLister& list_ids) {
  // Normalizes shorthands and checks top-level keys, exactly as merging a file would.
  json config = json::object();
  merge_config_layer(config, given, "");

  json out = json::object();
  out["seed_everything"] = resolve_seed(config);
  out["trainer"] = apply_schema(trainer_schema(), config.value("trainer", json::object()),
                                "trainer");
  check_trainer_options(out["trainer"], config.value("trainer", json::object()));
  for (const auto& group : single_plugin_groups()) {
    out[group] = resolve_single_group(config, group, lookup, list_ids);
  }
  out["logger"] = resolve_loggers(config, lookup, list_ids);
  if (out["trainer"]["barebones"].get<bool>()) {
    // Lightning's barebones: no logger, progress bar, model summary or checkpointing.
    out["logger"] = false;
    for (const char* key : kBarebonesOff) out["trainer"][key] = false;
  }
  out["callbacks"] = resolve_callbacks(config, lookup, list_ids);
  static const json ckpt_schema = json::parse(R"({"type": ["string", "null"]})");
  out["ckpt_path"] = apply_schema(ckpt_schema, config.value("ckpt_path", json()), "ckpt_path");
  if (out["ckpt_path"] == "")
    throw ConfigError("ckpt_path", "empty; pass a checkpoint file, \"last\", \"best\", \"hpc\" or null");
  return out;
}

std::string to_pretty_json(const json& config) { return config.dump(2) + "\n"; }

}  // namespace volt::host::config
