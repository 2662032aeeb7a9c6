#include "commands/checkpoint_hparams.hpp"

#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/pickle_reader.hpp"

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

  // The trainer reads the weights later; here only the pickle is read (no tensor data). A
  // sharded checkpoint's folder is read whole, as the trainer will.
  c10::IValue content;
  if (std::filesystem::is_regular_file(path, ec)) {
    try {
      content = read_torch_file_structure(path).value;
    } catch (const Error& e) {
      throw Error(e.code(), path.string() + ": " + e.what());
    }
  } else {
    content = load_checkpoint_file(path).content;
  }
  if (!content.isGenericDict()) return config;
  auto saved = content.toGenericDict().find(c10::IValue(std::string("hyper_parameters")));
  if (saved == content.toGenericDict().end() || !saved->value().isGenericDict()) return config;
  nlohmann::json hparams;
  try {
    hparams = ivalue_to_json(saved->value());
  } catch (const std::exception& e) {  // e.g. a tensor among them, whose data was not read
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                path.string() + ": hyper_parameters cannot become module options: " + e.what());
  }

  nlohmann::json out = config;
  nlohmann::json& module_config = out["model"]["config"];
  if (!module_config.is_object()) module_config = nlohmann::json::object();
  for (auto it = hparams.begin(); it != hparams.end(); ++it)
    if (properties->contains(it.key()) && !module_config.contains(it.key()))
      module_config[it.key()] = it.value();
  return out;
}

}  // namespace volt::host
