#include "checkpoint/ckpt_path.hpp"

#include "checkpoint/sharded_checkpoint.hpp"
#include "runtime/log.hpp"

#include <volt/sdk/core.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace volt::host {

namespace fs = std::filesystem;

namespace {

void collect(const fs::path& folder, std::vector<fs::path>& out) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return;
  for (const auto& entry : fs::directory_iterator(folder, ec))
    if ((entry.is_regular_file(ec) || is_sharded_checkpoint(entry.path())) &&
        entry.path().extension() == ".ckpt")
      out.push_back(entry.path());
}

// <versions>/*/checkpoints
void collect_versions(const fs::path& versions, std::vector<fs::path>& out) {
  std::error_code ec;
  if (!fs::is_directory(versions, ec)) return;
  for (const auto& entry : fs::directory_iterator(versions, ec))
    if (entry.is_directory(ec)) collect(entry.path() / "checkpoints", out);
}

// N of hpc_ckpt_<N>.ckpt, or -1.
int64_t hpc_index(const fs::path& file) {
  const std::string name = file.filename().string(), prefix = "hpc_ckpt_", suffix = ".ckpt";
  if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return -1;
  std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stoll(digits);
}

int64_t max_hpc_index(const fs::path& root) {
  int64_t best = 0;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return best;
  for (const auto& entry : fs::directory_iterator(root, ec))
    if (entry.is_regular_file(ec) || is_sharded_checkpoint(entry.path()))
      best = std::max(best, hpc_index(entry.path()));
  return best;
}

}  // namespace

std::optional<fs::path> find_hpc_checkpoint(const fs::path& root_dir) {
  int64_t n = max_hpc_index(root_dir);
  if (n <= 0) return std::nullopt;
  return root_dir / ("hpc_ckpt_" + std::to_string(n) + ".ckpt");
}

fs::path next_hpc_checkpoint(const fs::path& root_dir) {
  return root_dir / ("hpc_ckpt_" + std::to_string(max_hpc_index(root_dir) + 1) + ".ckpt");
}

std::optional<fs::path> find_last_checkpoint(const CkptSearch& where) {
  std::vector<fs::path> candidates;
  collect(where.root_dir / "checkpoints", candidates);
  collect_versions(where.root_dir / "lightning_logs", candidates);
  if (!where.log_dir.empty()) collect_versions(fs::path(where.log_dir).parent_path(), candidates);
  std::optional<fs::path> best;
  fs::file_time_type newest{};
  for (const auto& p : candidates) {
    std::error_code ec;
    auto t = fs::last_write_time(p, ec);
    if (ec) continue;
    if (!best || t > newest) {
      best = p;
      newest = t;
    }
  }
  return best;
}

std::optional<fs::path> resolve_ckpt_path(const std::string& value, const CkptSearch& where) {
  if (value == "last") {
    auto last = find_last_checkpoint(where);
    if (!last)
      log::warning("ckpt_path=\"last\" is set, but there is no checkpoint under ",
                   where.root_dir.string(), "; training starts from scratch");
    else
      log::info("Restoring from the last checkpoint: ", last->string());
    return last;
  }
  if (value == "best") {
    // The first checkpointing callback's best_model_path (Lightning's ModelCheckpoint state).
    for (const auto& text : where.callback_states) {
      auto state = nlohmann::json::parse(text, nullptr, false);
      if (!state.is_object() || !state.contains("best_model_path")) continue;
      const auto& best = state["best_model_path"];
      if (!best.is_string() || best.get<std::string>().empty())
        throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                    "ckpt_path=\"best\" is set but the checkpoint callback has not saved a best "
                    "model yet");
      return fs::path(best.get<std::string>());
    }
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                "ckpt_path=\"best\" is set but no checkpoint callback with a best model "
                "(model_checkpoint) is configured");
  }
  if (value == "hpc") {
    auto hpc = find_hpc_checkpoint(where.root_dir);
    if (!hpc)
      throw Error(VOLT_ERROR_NOT_FOUND, "ckpt_path=\"hpc\" is set but there is no hpc_ckpt_<N>.ckpt in " +
                                            where.root_dir.string());
    return hpc;
  }
  fs::path path(value);
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(VOLT_ERROR_NOT_FOUND, "checkpoint file not found: " + path.string());
  return path;
}

}  // namespace volt::host
