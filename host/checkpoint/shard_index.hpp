// index.json, the table of contents of a sharded checkpoint folder: the format, the world size
// that wrote it and one shard file per rank. Read with bounds (docs/limits.md): a hostile index
// must not make Volt open files outside the folder, allocate without limit or nest deeply.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace volt::host {

inline constexpr const char* kShardIndexName = "index.json";
inline constexpr const char* kShardIndexFormat = "volt.sharded_checkpoint";
inline constexpr int kShardIndexVersion = 1;
inline constexpr int64_t kMaxShards = 1 << 20;             // ranks an index may name
inline constexpr size_t kMaxShardIndexBytes = size_t{64} << 20;
inline constexpr int kMaxShardIndexDepth = 16;

struct ShardIndex {
  int64_t world_size = 0;
  std::vector<std::string> shards;  // plain file names inside the folder, rank order
};

// The index text for a checkpoint of `world_size` ranks, with these shard file names.
std::string shard_index_text(int64_t world_size, const std::vector<std::string>& shards);

// Throws volt::Error prefixed with `where` when `text` is not a valid index.
ShardIndex parse_shard_index(const std::string& text, const std::string& where);

// Reads and parses dir/index.json, at most kMaxShardIndexBytes (also for /dev/zero behind a link).
ShardIndex read_shard_index(const std::filesystem::path& dir, const std::string& where);

}  // namespace volt::host
