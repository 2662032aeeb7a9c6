// Lightning's ckpt_path values (lightning.md section 1): a path, "last", "best" or "hpc".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace volt::host {

struct CkptSearch {
  std::filesystem::path root_dir;  // trainer.default_root_dir (or the working directory)
  std::string log_dir;             // the first logger's folder, "" without loggers
  std::vector<std::string> callback_states;  // state JSON of each callback, for "best"
};

// The file to load, or nullopt for "last" when no checkpoint exists (Lightning warns and
// trains from scratch). Throws volt::Error for a missing file, for "best" without a
// checkpointing callback that has a best model, and for "hpc" without an hpc checkpoint.
std::optional<std::filesystem::path> resolve_ckpt_path(const std::string& value,
                                                       const CkptSearch& where);

// The most recently modified *.ckpt in <root>/checkpoints, <root>/lightning_logs/*/checkpoints
// and, with a logger, in the checkpoints folder of every version next to its log_dir.
std::optional<std::filesystem::path> find_last_checkpoint(const CkptSearch& where);

// SLURM requeue checkpoints: <root>/hpc_ckpt_<N>.ckpt. The one with the largest N, if any.
std::optional<std::filesystem::path> find_hpc_checkpoint(const std::filesystem::path& root_dir);
// Where the next one goes (N + 1; 1 when there is none).
std::filesystem::path next_hpc_checkpoint(const std::filesystem::path& root_dir);

}  // namespace volt::host
