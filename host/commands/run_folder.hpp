// The run folder a logger made (<root>/lightning_logs/version_N): LightningCLI's config.yaml,
// and what a run that logged nothing leaves behind. predict's output file.
#pragma once

#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include <filesystem>
#include <string>
#include <vector>

namespace volt::host {

// LightningCLI's SaveConfigCallback: <dir>/config.yaml (nothing for ""), never silently
// replacing the config of an earlier run in the same folder (a fixed logger version, or
// logger=false) unless `overwrite`.
void save_config(const std::string& dir, const nlohmann::json& resolved, bool overwrite);

// Removes a run folder that holds nothing a run logged: only config.yaml, hparams.yaml and a
// metrics.csv without rows (what a logger writes before the first metric).
void remove_unused_run_folder(const std::string& dir);

// The predictions as a list of tensors in torch.save's format, at `path`.
void save_predictions(const std::filesystem::path& path, const std::vector<at::Tensor>& predictions);

}  // namespace volt::host
