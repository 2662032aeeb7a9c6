#include "checkpoint/sharded_checkpoint.hpp"

#include "checkpoint/atomic_file.hpp"
#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/pickle_reader.hpp"
#include "checkpoint/shard_index.hpp"

#include <volt/sdk/core.hpp>

#include <algorithm>
#include <optional>

namespace volt::host {

namespace fs = std::filesystem;

namespace {

std::string shard_file_name(int32_t rank, int32_t world_size) {
  return "shard-" + std::to_string(rank) + "-of-" + std::to_string(world_size) + ".ckpt";
}

std::string key_text(const c10::IValue& key) {
  return key.isString() ? key.toStringRef() : key.isInt() ? std::to_string(key.toInt()) : "?";
}

int64_t numel_of(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<int64_t> shape_of(const c10::IValue& v) {
  std::vector<int64_t> shape;
  for (const c10::IValue e : v.toListRef()) shape.push_back(e.toInt());
  return shape;
}

// The pieces of one tensor, one per rank, put back together.
torch::Tensor join_pieces(const std::vector<c10::IValue>& ranks, const std::string& at,
                          const std::string& where) {
  struct Piece {
    int64_t offset;
    torch::Tensor data;
  };
  std::vector<int64_t> shape;
  std::vector<Piece> pieces;
  for (size_t r = 0; r < ranks.size(); ++r) {
    if (!is_shard_entry(ranks[r]))
      throw Error(VOLT_ERROR_DATA_LOSS, where + ": '" + at + "' is a shard in rank 0's file but not in rank " +
                                            std::to_string(r) + "'s");
    auto d = ranks[r].toGenericDict();
    std::vector<int64_t> s = shape_of(d.at("shape"));
    if (r == 0) shape = s;
    else if (s != shape)
      throw Error(VOLT_ERROR_DATA_LOSS, where + ": '" + at + "' has shape " + c10::str(c10::IntArrayRef(s)) +
                                            " in rank " + std::to_string(r) + "'s file, " +
                                            c10::str(c10::IntArrayRef(shape)) + " in rank 0's");
    torch::Tensor data = d.at("volt_shard").toTensor().reshape({-1});
    if (!pieces.empty() && data.scalar_type() != pieces.front().data.scalar_type())
      throw Error(VOLT_ERROR_DATA_LOSS, where + ": the pieces of '" + at + "' differ in dtype");
    pieces.push_back({d.at("offset").toInt(), data});
  }
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const Piece& a, const Piece& b) { return a.offset < b.offset; });
  std::vector<torch::Tensor> parts;
  int64_t next = 0;
  for (const auto& p : pieces) {
    if (p.data.numel() == 0) continue;  // a rank whose slice holds none of this tensor
    if (p.offset != next)
      throw Error(VOLT_ERROR_DATA_LOSS, where + ": the pieces of '" + at + "' do not tile it: one starts at element " +
                                            std::to_string(p.offset) + " where " + std::to_string(next) +
                                            " was expected");
    parts.push_back(p.data);
    next += p.data.numel();
  }
  if (next != numel_of(shape))
    throw Error(VOLT_ERROR_DATA_LOSS, where + ": the pieces of '" + at + "' hold " + std::to_string(next) +
                                          " elements, its shape " + c10::str(c10::IntArrayRef(shape)) + " " +
                                          std::to_string(numel_of(shape)));
  torch::Tensor whole = parts.empty() ? torch::empty({0}, pieces.front().data.options()) : torch::cat(parts);
  return whole.view(shape);
}

bool holds_containers(const c10::IValue& list) {
  for (const c10::IValue e : list.toListRef())
    if (e.isGenericDict() || e.isList()) return true;
  return false;
}

c10::IValue merge(const std::vector<c10::IValue>& ranks, const std::string& at, const std::string& where) {
  const c10::IValue& first = ranks.front();
  if (is_shard_entry(first)) return join_pieces(ranks, at, where);
  if (first.isGenericDict()) {
    auto d0 = first.toGenericDict();
    c10::impl::GenericDict out(d0.keyType(), d0.valueType());
    for (const auto& e : d0) {
      std::string child_at = at.empty() ? key_text(e.key()) : at + "/" + key_text(e.key());
      std::vector<c10::IValue> children;
      for (size_t r = 0; r < ranks.size(); ++r) {
        std::optional<c10::IValue> child;
        if (ranks[r].isGenericDict()) {
          auto d = ranks[r].toGenericDict();
          auto it = d.find(e.key());
          if (it != d.end()) child = it->value();
        }
        if (!child)
          throw Error(VOLT_ERROR_DATA_LOSS, where + ": rank " + std::to_string(r) + "'s file has no '" +
                                                child_at + "', which rank 0's has");
        children.push_back(*child);
      }
      out.insert(e.key(), merge(children, child_at, where));
    }
    return out;
  }
  if (first.isList() && holds_containers(first)) {
    const auto& items = first.toListRef();
    c10::impl::GenericList out(c10::AnyType::get());
    for (size_t i = 0; i < items.size(); ++i) {
      std::string child_at = at + "/" + std::to_string(i);
      std::vector<c10::IValue> children;
      for (size_t r = 0; r < ranks.size(); ++r) {
        if (!ranks[r].isList() || ranks[r].toListRef().size() != items.size())
          throw Error(VOLT_ERROR_DATA_LOSS, where + ": '" + at + "' has another length in rank " +
                                                std::to_string(r) + "'s file than in rank 0's");
        children.push_back(ranks[r].toListRef()[i]);
      }
      out.push_back(merge(children, child_at, where));
    }
    return out;
  }
  return first;  // the same on every rank (loops, hyper-parameters, a step count)
}

}  // namespace

bool is_shard_entry(const c10::IValue& v) {
  if (!v.isGenericDict()) return false;
  auto d = v.toGenericDict();
  if (d.size() != 3) return false;
  auto piece = d.find(c10::IValue(std::string("volt_shard")));
  auto offset = d.find(c10::IValue(std::string("offset")));
  auto shape = d.find(c10::IValue(std::string("shape")));
  if (piece == d.end() || offset == d.end() || shape == d.end()) return false;
  if (!piece->value().isTensor() || !offset->value().isInt() || !shape->value().isList()) return false;
  for (const c10::IValue e : shape->value().toListRef())
    if (!e.isInt()) return false;
  return true;
}

c10::IValue consolidate_shards(const std::vector<c10::IValue>& ranks, const std::string& where) {
  if (ranks.empty()) throw Error(VOLT_ERROR_INVALID_ARGUMENT, where + ": no shards");
  return merge(ranks, "", where);
}

bool is_sharded_checkpoint(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::is_regular_file(path / kShardIndexName, ec);
}

void save_sharded_checkpoint(const fs::path& path, int32_t rank, int32_t world_size,
                             const c10::impl::GenericDict& content,
                             const std::function<int64_t(int64_t)>& sum_over_ranks) {
  const fs::path partial = path.string() + ".partial";
  std::string error;
  // Every rank runs each phase, then learns whether any failed: all stop alike, none waits.
  auto phase = [&](const std::function<void()>& work, const char* what) {
    try {
      work();
    } catch (const std::exception& e) {
      error = e.what();
    }
    int64_t failed = sum_over_ranks(error.empty() ? 0 : 1);
    if (failed == 0) return;
    if (rank == 0) {
      std::error_code ec;
      fs::remove_all(partial, ec);
    }
    throw Error(VOLT_ERROR_DATA_LOSS,
                "sharded checkpoint " + path.string() + " not saved (" + what + " failed on " +
                    std::to_string(failed) + " of " + std::to_string(world_size) + " ranks" +
                    (error.empty() ? ")" : "; here: " + error + ")") +
                    "; an older checkpoint at that path is kept");
  };
  phase([&] {
    if (rank != 0) return;
    fs::remove_all(partial);  // left by an earlier save that failed
    fs::create_directories(partial);
  }, "creating the folder");
  phase([&] { save_checkpoint_file(partial / shard_file_name(rank, world_size), content); },
        "writing a shard");
  phase([&] {
    if (rank != 0) return;
    std::vector<std::string> shards;
    for (int32_t r = 0; r < world_size; ++r) shards.push_back(shard_file_name(r, world_size));
    const std::string text = shard_index_text(world_size, shards);
    write_file_atomically(partial / kShardIndexName, text.data(), text.size());
    // Only now does `path` change: the old folder (or file) moves aside, the new one in.
    const fs::path old = path.string() + ".old";
    fs::remove_all(old);
    if (fs::exists(path)) fs::rename(path, old);
    fs::rename(partial, path);
    fs::remove_all(old);
  }, "publishing the folder");
}

c10::impl::GenericDict load_sharded_checkpoint(const fs::path& dir) {
  const std::string where = "sharded checkpoint " + dir.string();
  const ShardIndex index = read_shard_index(dir, where);
  const int64_t world = index.world_size;
  std::vector<c10::IValue> ranks;
  for (const std::string& text : index.shards) {
    fs::path file = dir / text;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
      throw Error(VOLT_ERROR_NOT_FOUND, where + ": the shard " + file.filename().string() + " is missing (" +
                                            std::to_string(world) + " ranks wrote this checkpoint)");
    try {
      ranks.push_back(read_torch_file(file).value);
    } catch (const Error& e) {
      throw Error(e.code(), where + ": shard " + file.filename().string() + ": " + e.what());
    }
  }
  c10::IValue merged = consolidate_shards(ranks, where);
  if (!merged.isGenericDict())
    throw Error(VOLT_ERROR_DATA_LOSS, where + ": the shards hold a " + merged.tagKind() + ", not a checkpoint dict");
  return merged.toGenericDict();
}

}  // namespace volt::host
