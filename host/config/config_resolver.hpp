// From a parsed command line (command_line.hpp) to the resolved config a run uses: every
// section validated against its schema (trainer_schema.hpp, each plugin's config_schema) with
// defaults filled in. The resolved config is saved as the run's config.yaml, and
// `volt fit --config config.yaml` reproduces it exactly.
//
// Resolved shape (every key present):
//   {"seed_everything": 42,                       // an integer, or false = no seeding
//    "trainer":   {...every trainer option...},
//    "model":     {"id": "mlp", "config": {...}},
//    "data":      {"id": "fashion_mnist", "config": {...}},
//    "strategy":  {"id": "single_device", "config": {}},
//    "precision": {"id": "32-true", "config": {}},
//    "logger":    [{"id": "csv", "config": {...}}],   // or false (logging disabled)
//    "callbacks": [{"id": "...", "config": {...}}],
//    "ckpt_path": null}                           // or a string ("last", "best", a path)
#pragma once

#include "config/command_line.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace volt::host::config {

// Plugin kinds as the lookups below receive them, and the VOLT_KIND_* they stand for:
// "model" (MODULE), "data" (DATAMODULE), "strategy", "precision", "logger", "callback".
//
// The config schema of plugin `id` of `kind`, or nullopt when no such plugin is loaded.
using SchemaLookup =
    std::function<std::optional<nlohmann::json>(const std::string& kind, const std::string& id)>;
// The ids available for `kind`, for error messages.
using IdLister = std::function<std::vector<std::string>(const std::string& kind)>;

// Validates `config` (what parse_command_line produced, or a saved config.yaml) and returns it
// resolved: defaults filled (strategy single_device, precision 32-true, logger [csv],
// callbacks [], ckpt_path null, every trainer option), each plugin config checked against its
// schema with the schema's defaults filled in. seed_everything true or absent is replaced by a
// random seed in [0, 2^32) (recorded, so the saved config reproduces the run); null becomes
// false. model and data are required. Idempotent once the seed is an integer. Throws
// ConfigError, e.g. "model: unknown id 'mpl'; did you mean 'mlp'? Available modules: cnn, mlp".
nlohmann::json validate_and_fill(const nlohmann::json& config, const SchemaLookup& lookup,
                                 const IdLister& list_ids);

// 2-space indented JSON with a trailing newline, for --print-config=json.
std::string to_pretty_json(const nlohmann::json& config);

}  // namespace volt::host::config
