// Building blocks of config composition: the shape of a config, shorthand normalization, and
// merging one layer (a config file, a flag's object value) over another with group rules.
//
// Config shape (see config_resolver.hpp): top-level keys seed_everything, trainer, model,
// data, strategy, precision, logger, callbacks, ckpt_path. A plugin selection is
// {"id": ID, "config": {...}}; logger is a list of selections or false; callbacks a list.
#pragma once

#include "config/yaml_format.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace volt::host::config {

class ValueSources;  // value_sources.hpp

// fit, validate, test, predict.
const std::vector<std::string>& subcommand_names();
bool is_subcommand(const std::string& name);

// The top-level keys of a config, sorted.
const std::vector<std::string>& config_top_level_keys();

// model, data, strategy, precision: groups holding exactly one plugin selection.
const std::vector<std::string>& single_plugin_groups();
bool is_single_plugin_group(const std::string& key);

// Keys accepted under "trainer" (Lightning's Trainer arguments) that Volt keeps as top-level
// groups instead: logger, callbacks, strategy, precision.
const std::vector<std::string>& trainer_group_aliases();

// Lightning's logger=True: [{"id": "csv", "config": {}}].
nlohmann::json default_logger_list();

// Shorthands to the canonical form. `where` names the value in errors.
// "mlp" -> {"id": "mlp", "config": {}}; an object may hold only "id" and "config".
// With `id_required`, a selection without an id is an error.
nlohmann::json normalize_plugin_selection(const nlohmann::json& value, const std::string& where,
                                          bool id_required);
// false -> false; true / null -> default_logger_list(); "csv" / "csv,tensorboard" / a selection
// / a list of them -> a list of selections.
nlohmann::json normalize_logger(const nlohmann::json& value, const std::string& where);
// null -> []; an id, a selection or a list of them -> a list of selections.
nlohmann::json normalize_callbacks(const nlohmann::json& value, const std::string& where);

// Objects merge key by key, recursively; arrays, scalars and null replace.
void deep_merge(nlohmann::json& target, const nlohmann::json& overlay);

// Merges `layer` (a whole or partial config) into `config`. Selecting another plugin id in a
// group drops that group's previous config; logger and callbacks lists replace; trainer and
// plugin configs deep-merge. trainer.{logger,callbacks,strategy,precision} are moved to the top
// level first. `source` prefixes errors ("--config a.json"; "" for none). Throws ConfigError on
// unknown keys or malformed groups.
void merge_config_layer(nlohmann::json& config, const nlohmann::json& layer,
                        const std::string& source);

// Reads a config file: JSON when its name ends in .json (the JSON parser's messages), YAML
// otherwise (yaml_format.hpp; YAML also reads JSON). `source` prefixes errors, which name the
// line and column.
// With `positions`, also where each key is (yaml_format.hpp).
nlohmann::json read_config_file(const std::string& path, const std::string& source,
                                KeyPositions* positions = nullptr);

// Reads a config file (read_config_file) and merges it into `config`. If some top-level keys are subcommand
// names, those are per-subcommand sections: the other keys apply first, then the section of
// `subcommand` (if any). Errors name the file (and the parser's line/column).
// `source` names the file in errors ("" = "--config PATH").
// With `sources`, the position of every key it sets is recorded there.
void merge_config_file(nlohmann::json& config, const std::string& path,
                       const std::string& subcommand, const std::string& source = "",
                       ValueSources* sources = nullptr);

// Command-line value text: JSON when it parses as JSON (numbers, true/false/null, arrays,
// objects, quoted strings), otherwise the text itself as a string.
nlohmann::json parse_value_text(const std::string& text);

// Sets target[keys[0]][keys[1]]... = value, creating objects (or replacing non-objects) on the
// way. An empty `keys` merges `value` (must be an object) into `target`.
void set_key_path(nlohmann::json& target, const std::vector<std::string>& keys,
                  const nlohmann::json& value);

}  // namespace volt::host::config
