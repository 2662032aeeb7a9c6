// Where this process sits in a distributed run, read from environment variables the way
// Lightning's cluster environments read them (lightning.md, "Process-group setup"), tried in
// Lightning's order: TorchElastic (torchrun), then SLURM, then Lightning's own environment (the
// variables Volt's launcher sets for its workers, or one local process).
//
// Volt also treats RANK + WORLD_SIZE + LOCAL_RANK without TORCHELASTIC_RUN_ID as a torchrun-style
// launch, so processes started by any launcher that sets them join as they are.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace volt::host {

struct ClusterEnvironment {
  std::string kind = "lightning";  // "torchelastic", "slurm" or "lightning"
  bool creates_processes_externally = false;
  std::string main_address = "127.0.0.1";
  int32_t main_port = 0;  // 0: Volt's launcher picks a free port
  int64_t world_size = 1;
  int64_t global_rank = 0;
  int64_t local_rank = 0;
  int64_t node_rank = 0;

  // One line for the log at start, e.g. "slurm: GLOBAL_RANK 3, MEMBER 4/8, LOCAL_RANK 1,
  // NODE_RANK 1, MASTER_ADDR node01, MASTER_PORT 16789 (processes started by a launcher)".
  std::string describe() const;
};

// Reads one variable; nullopt when unset (the launcher passes the process's environment).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// `devices` and `num_nodes` are the trainer's; Lightning's own environment computes the world
// size and ranks from them. Throws volt::Error naming the variable for malformed values.
ClusterEnvironment detect_cluster_environment(const EnvLookup& env, int64_t devices,
                                              int64_t num_nodes);

// The first host of a SLURM node list, as Lightning's SLURMEnvironment.resolve_root_node_address:
// "node[01-03,7],gpu5" -> "node01", "a b" -> "a", "host[5]" -> "host5".
std::string slurm_root_node(const std::string& nodelist);

}  // namespace volt::host
