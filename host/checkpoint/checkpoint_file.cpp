#include "checkpoint/checkpoint_file.hpp"

#include "checkpoint/atomic_file.hpp"
#include "checkpoint/pickle_reader.hpp"
#include "checkpoint/pickle_writer.hpp"
#include "checkpoint/sharded_checkpoint.hpp"
#include "runtime/log.hpp"

#include <volt/sdk/core.hpp>

namespace volt::host {

namespace fs = std::filesystem;

const c10::IValue* CheckpointFile::find(const std::string& key) const {
  if (kind != Kind::Lightning) return nullptr;
  auto it = content.find(c10::IValue(key));
  return it == content.end() ? nullptr : &it->value();
}

c10::impl::GenericDict CheckpointFile::state_dict() const {
  if (kind == Kind::StateDict) return content;
  return find("state_dict")->toGenericDict();  // checked by load_checkpoint_file
}

void save_checkpoint_file(const fs::path& path, const c10::impl::GenericDict& content) {
  AtomicFile file(path);
  write_torch_file(content, [&](const void* data, size_t size) { file.write(data, size); });
  file.commit();
}

namespace {

bool all_tensors(const c10::impl::GenericDict& d) {
  for (const auto& e : d)
    if (!e.key().isString() || !e.value().isTensor()) return false;
  return true;
}

}  // namespace

CheckpointFile load_checkpoint_file(const fs::path& path) {
  auto fail = [&](volt_error_code code, const std::string& what) {
    return Error(code, "checkpoint " + path.string() + ": " + what);
  };
  std::error_code ec;
  if (!fs::exists(path, ec)) throw fail(VOLT_ERROR_NOT_FOUND, "no such file");
  TorchFile file;
  if (fs::is_directory(path, ec)) {
    // A sharded checkpoint: its ranks' files, consolidated.
    if (!is_sharded_checkpoint(path))
      throw fail(VOLT_ERROR_INVALID_ARGUMENT, std::string("is a folder without ") + kShardIndexName +
                                                  ", neither a checkpoint file nor a sharded checkpoint");
    file.value = load_sharded_checkpoint(path);
  } else {
    if (fs::file_size(path, ec) == 0) throw fail(VOLT_ERROR_DATA_LOSS, "the file is empty");
    try {
      file = read_torch_file(path);
    } catch (const Error& e) {
      throw fail(e.code(), e.what());
    }
  }
  if (!file.value.isGenericDict())
    throw fail(VOLT_ERROR_INVALID_ARGUMENT,
               "holds a " + file.value.tagKind() + ", not a checkpoint dict nor a state_dict");
  CheckpointFile out;
  out.path = path;
  out.content = file.value.toGenericDict();
  auto sd = out.content.find(c10::IValue(std::string("state_dict")));
  if (sd != out.content.end()) {
    if (!sd->value().isGenericDict() || !all_tensors(sd->value().toGenericDict()))
      throw fail(VOLT_ERROR_DATA_LOSS, "its 'state_dict' entry is not a dict of tensors");
    out.kind = CheckpointFile::Kind::Lightning;
  } else if (!out.content.empty() && all_tensors(out.content)) {
    out.kind = CheckpointFile::Kind::StateDict;
  } else {
    throw fail(VOLT_ERROR_INVALID_ARGUMENT,
               "neither a Lightning checkpoint (no 'state_dict' entry) nor a state_dict (a dict "
               "of tensors)");
  }
  if (!file.unknown.empty()) {
    std::string names;
    for (const auto& n : file.unknown) names += (names.empty() ? "" : ", ") + n;
    log::warning("checkpoint ", path.string(),
                 ": objects of Python classes Volt does not know were read as None: ", names);
  }
  return out;
}

}  // namespace volt::host
