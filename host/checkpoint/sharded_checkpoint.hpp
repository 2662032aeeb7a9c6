// Sharded checkpoints (a strategy's state_dict_type "sharded", ABI 1.6): a folder named like a
// checkpoint file (`epoch=0-step=10.ckpt/`) holding one checkpoint file per rank,
// `shard-<r>-of-<W>.ckpt`, and `index.json` naming them. Each rank's file is a whole
// checkpoint dict (loops, callbacks, hyper-parameters: the same on every rank) whose model and
// optimizer tensors may be shards: {"volt_shard": 1-D piece, "offset": k, "shape": [...]}, the
// piece holding elements [k, k + numel) of the flattened whole. Consolidating concatenates the
// pieces of every rank in offset order and takes everything else from rank 0, which gives the
// content of the single-device checkpoint (what `volt checkpoint consolidate` writes).
//
// Lightning's FSDP writes torch.distributed.checkpoint's `.distcp` files instead; each Volt
// shard file reads with torch.load (docs/fsdp.md).
#pragma once

#include "checkpoint/shard_index.hpp"

#include <volt/sdk/torch_core.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace volt::host {

// A folder with an index.json.
bool is_sharded_checkpoint(const std::filesystem::path& path);

// Every rank calls it with the same `path` and its own part. `sum_over_ranks(x)` must return the
// sum of x over all ranks (a collective every rank calls). The files go to `<path>.partial/`;
// once every rank wrote its own, rank 0 writes the index and renames the folder to `path`,
// replacing an older checkpoint there. If any rank fails, every rank throws and `path` is left
// as it was.
void save_sharded_checkpoint(const std::filesystem::path& path, int32_t rank, int32_t world_size,
                             const c10::impl::GenericDict& content,
                             const std::function<int64_t(int64_t)>& sum_over_ranks);

// Reads every shard file the index names and consolidates them. Throws volt::Error naming the
// folder and the file at fault (missing, corrupt, written by another number of ranks, pieces
// that do not tile their tensor).
c10::impl::GenericDict load_sharded_checkpoint(const std::filesystem::path& dir);

// Merges the ranks' trees (see above). `where` names the source in errors.
c10::IValue consolidate_shards(const std::vector<c10::IValue>& ranks, const std::string& where);

// Whether `v` is a shard entry.
bool is_shard_entry(const c10::IValue& v);

}  // namespace volt::host
