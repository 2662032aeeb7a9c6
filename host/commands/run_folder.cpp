#include "commands/run_folder.hpp"

#include <volt/sdk/core.hpp>
#include <volt/sdk/yaml_writer.hpp>

#include <torch/serialize.h>

#include <fstream>

namespace volt::host {

namespace fs = std::filesystem;

void save_config(const std::string& dir, const nlohmann::json& resolved, bool overwrite) {
  if (dir.empty()) return;
  fs::create_directories(dir);
  fs::path path = fs::path(dir) / "config.yaml";
  if (fs::exists(path) && !overwrite)
    throw Error(VOLT_ERROR_ALREADY_EXISTS,
                path.string() + " already exists; refusing to overwrite the config of a previous "
                "run. Delete it, choose another folder or logger version, or pass "
                "--overwrite-config to replace it");
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    out << volt::yaml::dump(resolved);
    if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

void remove_unused_run_folder(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name == "config.yaml" || name == "hparams.yaml") continue;
    if (name == "metrics.csv" && entry.is_regular_file()) {
      std::ifstream in(entry.path());
      std::string line;
      int lines = 0;
      while (std::getline(in, line) && lines < 2) ++lines;
      if (lines <= 1) continue;
    }
    return;  // something worth keeping
  }
  if (!ec) fs::remove_all(dir, ec);
}

void save_predictions(const fs::path& path, const std::vector<at::Tensor>& predictions) {
  fs::create_directories(path.parent_path());
  std::vector<char> bytes = torch::pickle_save(c10::IValue(c10::List<at::Tensor>(predictions)));
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "cannot write " + path.string());
}

}  // namespace volt::host
