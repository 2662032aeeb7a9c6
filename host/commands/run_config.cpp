#include "commands/run_config.hpp"

#include "commands/checkpoint_hparams.hpp"
#include "config/config_error.hpp"
#include "config/json_schema.hpp"

#include <torch/cuda.h>

#include <filesystem>
#include <string>

namespace volt::host {

namespace {

namespace fs = std::filesystem;

// The device single_device uses, from Lightning's accelerator/devices options.
std::string device_for(const nlohmann::json& trainer) {
  std::string accelerator = trainer.value("accelerator", std::string("auto"));
  bool cuda = accelerator == "cuda" || accelerator == "gpu" ||
              (accelerator == "auto" && torch::cuda::is_available());
  if (!cuda) return "cpu";
  int index = 0;
  const auto& devices = trainer.contains("devices") ? trainer["devices"] : nlohmann::json();
  if (devices.is_array() && !devices.empty()) index = devices[0].get<int>();
  if (devices.is_string() && devices.get<std::string>().find(',') != std::string::npos)
    index = std::stoi(devices.get<std::string>());
  return "cuda:" + std::to_string(index);
}

// Values the host derives from the trainer section before plugins are created.
void derive_plugin_defaults(nlohmann::json& resolved, const nlohmann::json& given) {
  const nlohmann::json& trainer = resolved["trainer"];
  std::string root = trainer["default_root_dir"].is_string()
                         ? trainer["default_root_dir"].get<std::string>() : fs::current_path().string();
  if (resolved["logger"].is_array())
    for (auto& logger : resolved["logger"]) {
      auto& cfg = logger["config"];
      if (cfg.contains("save_dir") && cfg["save_dir"].is_null()) cfg["save_dir"] = root;
    }
  // Lightning's max_time: a Timer(duration=max_time, interval="step") callback, unless the
  // user configured a timer.
  if (trainer["max_time"].is_string()) {
    if (!resolved["callbacks"].is_array()) resolved["callbacks"] = nlohmann::json::array();
    bool has_timer = false;
    for (const auto& cb : resolved["callbacks"]) has_timer |= cb["id"] == "timer";
    if (!has_timer)
      resolved["callbacks"].push_back(
          {{"id", "timer"},
           {"config", {{"duration", trainer["max_time"]}, {"interval", "step"}, {"verbose", true}}}});
  }
  auto& strategy = resolved["strategy"];
  bool device_given = given.contains("strategy") && given["strategy"].is_object() &&
                      given["strategy"].contains("config") &&
                      given["strategy"]["config"].contains("device");
  if (strategy["id"] == "single_device" && !device_given)
    strategy["config"]["device"] = device_for(trainer);
}

// Lightning's _configure_progress_bar: with enable_progress_bar (the default) the trainer adds
// its TQDMProgressBar unless a progress bar is among the callbacks; without it, a configured
// progress bar is an error. A callback is a progress bar when its schema says
// "x-volt-role": "progress_bar".
void configure_progress_bar(nlohmann::json& resolved, const config::SchemaLookup& lookup) {
  if (!resolved["callbacks"].is_array()) resolved["callbacks"] = nlohmann::json::array();
  std::string bar_id;
  for (const auto& cb : resolved["callbacks"]) {
    std::optional<nlohmann::json> schema = lookup("callback", cb["id"].get<std::string>());
    if (schema && schema->value("x-volt-role", std::string()) == "progress_bar")
      bar_id = cb["id"].get<std::string>();
  }
  bool enabled = resolved["trainer"].value("enable_progress_bar", true);
  if (!enabled && !bar_id.empty())
    throw config::ConfigError("Trainer was configured with enable_progress_bar=false but found the "
                              "progress bar '" + bar_id + "' in the callbacks list.");
  if (!enabled || !bar_id.empty()) return;
  std::optional<nlohmann::json> schema = lookup("callback", "progress_bar");
  if (!schema) return;  // the shipped callbacks are not installed: no bar, as before plugins
  resolved["callbacks"].push_back(
      {{"id", "progress_bar"},
       {"config", config::apply_schema(*schema, nlohmann::json::object(), "callbacks")}});
}

}  // namespace

nlohmann::json resolve_run_config(const config::ParsedCommand& command,
                                  const config::SchemaLookup& lookup,
                                  const config::IdLister& list_ids) {
  nlohmann::json given = command.config;
  auto model = given.find("model");
  if (command.subcommand != "fit" && model != given.end() && model->is_object() &&
      model->contains("id") && (*model)["id"].is_string())
    if (auto schema = lookup("model", (*model)["id"].get<std::string>()))
      given = with_checkpoint_hparams(given, *schema);
  nlohmann::json resolved;
  try {
    resolved = config::validate_and_fill(given, lookup, list_ids);
  } catch (const config::ConfigError& e) {
    throw command.sources.annotate(e);  // which file and line, or flag, set the value
  }
  derive_plugin_defaults(resolved, command.config);
  configure_progress_bar(resolved, lookup);
  return resolved;
}

}  // namespace volt::host
