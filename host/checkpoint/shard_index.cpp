#include "checkpoint/shard_index.hpp"

#include <volt/sdk/core.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace volt::host {

std::string shard_index_text(int64_t world_size, const std::vector<std::string>& shards) {
  nlohmann::json index = {{"format", kShardIndexFormat},
                          {"format_version", kShardIndexVersion},
                          {"volt_version", VOLT_SDK_VERSION},
                          {"world_size", world_size},
                          {"shards", shards}};
  return index.dump(2) + "\n";
}

ShardIndex parse_shard_index(const std::string& text, const std::string& where) {
  const std::string file = where + ": " + kShardIndexName;
  nlohmann::json index;
  try {
    if (text.size() > kMaxShardIndexBytes)
      throw std::length_error("larger than " + std::to_string(kMaxShardIndexBytes >> 20) + " MiB");
    int deepest = 0;
    index = nlohmann::json::parse(text, [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      deepest = std::max(deepest, depth);
      return depth <= kMaxShardIndexDepth;
    });
    if (deepest > kMaxShardIndexDepth)
      throw std::length_error("nested deeper than " + std::to_string(kMaxShardIndexDepth));
  } catch (const std::exception& e) {
    throw Error(VOLT_ERROR_DATA_LOSS, file + " is not valid JSON (" + e.what() + ")");
  }
  auto is_int_or_absent = [&](const char* key) {
    return !index.contains(key) || index[key].is_number_integer();
  };
  if (!index.is_object() || !index.contains("format") || index["format"] != kShardIndexFormat ||
      !is_int_or_absent("format_version") || !index.contains("shards") || !index["shards"].is_array() ||
      !index.contains("world_size") || !index["world_size"].is_number_integer())
    throw Error(VOLT_ERROR_DATA_LOSS, file + " is not a Volt shard index (format \"" + kShardIndexFormat +
                                          "\", world_size, shards)");
  // Compared as 64-bit values: an unsigned 2^64-1 must not wrap into an accepted number.
  const nlohmann::json& version = index.contains("format_version") ? index["format_version"] : nlohmann::json(0);
  if (version.is_number_unsigned() ? version.get<uint64_t>() > uint64_t(kShardIndexVersion)
                                   : version.get<int64_t>() > kShardIndexVersion)
    throw Error(VOLT_ERROR_UNIMPLEMENTED, where + ": written in format version " + version.dump() +
                                              ", this Volt reads up to " + std::to_string(kShardIndexVersion));
  const nlohmann::json& world_value = index["world_size"];
  const bool world_fits = world_value.is_number_unsigned() ? world_value.get<uint64_t>() <= uint64_t(kMaxShards)
                                                           : world_value.get<int64_t>() <= kMaxShards;
  if (!world_fits)
    throw Error(VOLT_ERROR_DATA_LOSS, where + ": a world size of " + world_value.dump() + " (at most " +
                                          std::to_string(kMaxShards) + ")");
  ShardIndex out;
  out.world_size = world_value.get<int64_t>();
  if (out.world_size < 1 || static_cast<int64_t>(index["shards"].size()) != out.world_size)
    throw Error(VOLT_ERROR_DATA_LOSS, where + ": the index names " + std::to_string(index["shards"].size()) +
                                          " shards for a world size of " + std::to_string(out.world_size));
  for (const auto& name : index["shards"]) {
    // A plain file name inside the folder: an index must not make Volt open files elsewhere.
    const std::string text = name.is_string() ? name.get<std::string>() : std::string();
    if (text.empty() || text == "." || text == ".." || text.find('/') != std::string::npos ||
        text.find('\0') != std::string::npos)
      throw Error(VOLT_ERROR_DATA_LOSS, file + " names the shard " + name.dump() +
                                            ", not a file name inside the folder");
    out.shards.push_back(text);
  }
  return out;
}

ShardIndex read_shard_index(const std::filesystem::path& dir, const std::string& where) {
  std::ifstream in(dir / kShardIndexName, std::ios::binary);
  if (!in) throw Error(VOLT_ERROR_NOT_FOUND, where + ": cannot read " + kShardIndexName);
  std::string text;
  char buffer[1 << 16];
  while (text.size() <= kMaxShardIndexBytes && in.read(buffer, sizeof(buffer)).gcount() > 0)
    text.append(buffer, static_cast<size_t>(in.gcount()));
  return parse_shard_index(text, where);
}

}  // namespace volt::host
