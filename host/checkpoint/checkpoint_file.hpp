// Lightning's .ckpt files: a dict with the top-level keys of lightning.md section 7, saved with
// write_torch_file behind an AtomicFile. Reading also accepts a plain state_dict (a dict of
// tensors, e.g. Python's torch.save(model.state_dict())): weights without any loop state.
#pragma once

#include <volt/sdk/torch_core.hpp>

#include <filesystem>
#include <string>

namespace volt::host {

// The Lightning version whose checkpoint layout Volt writes; Lightning's migration code parses
// this key as a version, so it must be a real Lightning release.
inline constexpr const char* kLightningFormatVersion = "2.6.2";

struct CheckpointFile {
  enum class Kind { Lightning, StateDict };
  std::filesystem::path path;
  Kind kind = Kind::Lightning;
  c10::impl::GenericDict content{c10::StringType::get(), c10::AnyType::get()};

  // The entry `key` of a Lightning checkpoint, or nullptr.
  const c10::IValue* find(const std::string& key) const;
  // The weights: content["state_dict"], or the whole content for a plain state_dict.
  c10::impl::GenericDict state_dict() const;
  // The path, for messages.
  std::string name() const { return path.string(); }
};

// Writes atomically (a failure leaves any previous file at `path` as it was).
void save_checkpoint_file(const std::filesystem::path& path, const c10::impl::GenericDict& content);

// Reads a checkpoint file, or a sharded checkpoint's folder (sharded_checkpoint.hpp),
// consolidated. Throws volt::Error naming the file and what is wrong with it (missing, empty, truncated or
// corrupt, not a checkpoint); never crashes on bad input.
CheckpointFile load_checkpoint_file(const std::filesystem::path& path);

}  // namespace volt::host
