#include "commands/checkpoint_command.hpp"

#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/sharded_checkpoint.hpp"
#include "config/config_error.hpp"

#include <volt/sdk/core.hpp>

#include <filesystem>

namespace volt::host {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage = "usage: volt checkpoint consolidate DIR OUT.ckpt";

int consolidate(const fs::path& dir, const fs::path& out_path, std::ostream& out) {
  if (!is_sharded_checkpoint(dir))
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "volt checkpoint consolidate: " + dir.string() + " is not a sharded checkpoint (a folder with " +
                    kShardIndexName + ")");
  std::error_code ec;
  if (fs::equivalent(dir, out_path, ec))
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, "volt checkpoint consolidate: OUT must not be the folder itself");
  CheckpointFile ckpt = load_checkpoint_file(dir);  // consolidated, and checked as a checkpoint
  save_checkpoint_file(out_path, ckpt.content);
  size_t tensors = ckpt.state_dict().size();
  const c10::IValue* optimizers = ckpt.find("optimizer_states");
  out << "consolidated " << dir.string() << " into " << out_path.string() << ": " << tensors
      << " tensors in state_dict";
  if (optimizers != nullptr && optimizers->isList())
    out << ", " << optimizers->toListRef().size() << " optimizer state(s)";
  out << "\n";
  return 0;
}

}  // namespace

int run_checkpoint_command(const std::vector<std::string>& args, std::ostream& out) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    out << kUsage << "\n  consolidate  merge a sharded checkpoint's per-rank files into one .ckpt file\n";
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "consolidate")
    throw config::ConfigError("volt checkpoint: unknown subcommand '" + args[0] + "' (" + kUsage + ")");
  if (args.size() != 3) throw config::ConfigError(kUsage);
  return consolidate(args[1], args[2], out);
}

}  // namespace volt::host
