// hparams.yaml, as Lightning's save_hparams_to_yaml writes it (YAML from volt/sdk/yaml_writer.hpp).
#pragma once

#include <volt/sdk/core.hpp>
#include <volt/sdk/yaml_writer.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace volt::loggers {

// <dir>/hparams.yaml, as Lightning's loggers write it beside their metrics.
inline void write_hparams_yaml(const std::filesystem::path& dir, const nlohmann::json& params) {
  const std::filesystem::path file = dir / "hparams.yaml";
  std::ofstream out(file);
  out << volt::yaml::dump(params);
  if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "cannot write " + file.string());
}

}  // namespace volt::loggers
