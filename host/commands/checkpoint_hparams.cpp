#include "commands/checkpoint_hparams.hpp"

#include "checkpoint/checkpoint_file.hpp"

#include <volt/sdk/ivalue_json.hpp>

#include <filesystem>

namespace volt::host {

nlohmann::json with_checkpoint_hparams(const nlohmann::json& config,
                                       const nlohmann::json& module_schema) {
  auto ckpt = config.find("ckpt_path");
  if (ckpt == config.end() || !ckpt->is_string()) return config;
  std::filesystem::path path = ckpt->get<std::string>();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return config;
  auto properties = module_schema.find("properties");
  if (properties == module_schema.end() || !properties->is_object()) return config;

  CheckpointFile file = load_checkpoint_file(path);
  const c10::IValue* saved = file.find("hyper_parameters");
  if (saved == nullptr || !saved->isGenericDict()) return config;
  nlohmann::json hparams = ivalue_to_json(*saved);

  nlohmann::json out = config;
  nlohmann::json& module_config = out["model"]["config"];
  if (!module_config.is_object()) module_config = nlohmann::json::object();
  for (auto it = hparams.begin(); it != hparams.end(); ++it)
    if (properties->contains(it.key()) && !module_config.contains(it.key()))
      module_config[it.key()] = it.value();
  return out;
}

}  // namespace volt::host
