// Fuzz target: a sharded checkpoint's index.json (format, world size, shard names that must
// stay inside the folder).
#include "checkpoint/shard_index.hpp"

#include <volt/sdk/core.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto index =
        volt::host::parse_shard_index(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    for (const auto& name : index.shards)
      if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") __builtin_trap();
  } catch (const volt::Error&) {
  }
  return 0;
}
