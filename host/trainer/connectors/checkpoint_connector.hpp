// Lightning's checkpoint connector: what a checkpoint holds (dump_checkpoint, lightning.md
// section 7), trainer.save_checkpoint, the default checkpointing of enable_checkpointing, and
// the restore order on the way back: weights and callbacks before configure_optimizers, the
// rest (precision, loops, optimizers, schedulers, the strategy, the generator) after
// on_fit_start.
#pragma once

#include "checkpoint/checkpoint_file.hpp"
#include "trainer/components.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace volt::host {

class TrainerParts;

class CheckpointConnector {
 public:
  explicit CheckpointConnector(TrainerParts& t) : t_(t) {}

  // --- writing (checkpoint_dump.cpp) ---
  // Every rank calls it: a sharding strategy gathers, or each rank writes its part.
  void save_checkpoint(const std::string& path, bool weights_only);
  // Lightning's implicit ModelCheckpoint: after every training epoch, into
  // <log_dir>/checkpoints/epoch={E}-step={S}.ckpt, keeping only the latest.
  void save_default_checkpoint();
  const std::string& last_default_checkpoint() const { return last_default_checkpoint_; }
  std::filesystem::path root_dir() const;        // trainer.default_root_dir or the cwd
  std::filesystem::path checkpoint_dir() const;  // <log_dir or root>/checkpoints

  // --- reading (checkpoint_restore.cpp) ---
  // ckpt_path as Lightning's (a path, "last", "best", "hpc"); nothing for none.
  std::optional<CheckpointFile> read_ckpt_path(const std::optional<std::string>& ckpt_path);
  // The module's on_load_checkpoint, then its weights.
  void restore_weights(const CheckpointFile& ckpt);
  // The callbacks' on_load_checkpoint, then their state.
  void restore_callbacks(const CheckpointFile& ckpt);
  void restore_training_state(const CheckpointFile& ckpt);
  // validate / test / predict: the weights of ckpt_path, when given.
  void load_stage_weights(const std::optional<std::string>& ckpt_path);

 private:
  // `sharded`: this rank's part for a sharded checkpoint (ABI 1.6), else the gathered state.
  c10::impl::GenericDict dump_checkpoint(bool weights_only, bool sharded);
  void dump_training_state(c10::impl::GenericDict& ck, bool sharded);
  bool saves_sharded() const;
  bool default_checkpointing() const;
  std::string precision_state_key() const;
  void restore_optimizers(const CheckpointFile& ckpt);
  // --- plugin hooks (checkpoint_hooks.cpp, ABI 1.10) ---
  // The keys the callbacks' and then the module's on_save_checkpoint add to `checkpoint`.
  void add_checkpoint_keys(c10::impl::GenericDict& checkpoint, bool weights_only);
  // on_load_checkpoint of the module or of the callbacks, with the whole checkpoint.
  void call_load_checkpoint(const CheckpointFile& ckpt, bool callbacks);
  // --- the strategy's own state (strategy_state.cpp, ABI 1.8) ---
  // Every rank's save_state, gathered; nothing when the strategy keeps none.
  std::optional<c10::IValue> gather_strategy_states();
  void restore_strategy_state(const CheckpointFile& ckpt);

  TrainerParts& t_;
  std::string last_default_checkpoint_;
  int64_t last_default_checkpoint_step_ = 0;  // Lightning skips saving twice at one step
};

}  // namespace volt::host
