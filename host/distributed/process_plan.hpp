// How many processes a run uses and which of them this one is, from the trainer's accelerator,
// devices and num_nodes, the strategy, and the environment (Lightning's accelerator connector
// and launcher choice).
#pragma once

#include "distributed/cluster_environment.hpp"

#include <nlohmann/json.hpp>

namespace volt::host {

struct ProcessPlan {
  ClusterEnvironment cluster;  // where this process sits
  int64_t devices = 1;         // processes per node
  int64_t num_nodes = 1;
  std::string accelerator = "cpu";  // "cpu" or "cuda"
  // True in the process the user started when Volt must start the local workers itself (a
  // launching strategy, devices > 1, nobody else created the processes).
  bool launch_workers = false;
};

// `launching_strategy`: the strategy runs one process per device (its schema says
// "x-volt-launcher": "subprocess", as ddp's does). Throws config::ConfigError for devices or
// num_nodes the strategy or accelerator cannot run, naming the option.
ProcessPlan plan_processes(const nlohmann::json& trainer, const std::string& strategy_id,
                           bool launching_strategy, const EnvLookup& env);

// trainer.devices as a number of processes per node: an integer > 0, "auto" (1 on CPU, every
// GPU on CUDA), -1 (every GPU), or GPU indices ("0,1" or [0, 1]).
int64_t parse_devices(const nlohmann::json& devices, const std::string& accelerator,
                      int64_t cuda_device_count);

}  // namespace volt::host
