#include "distributed/process_plan.hpp"

#include "config/config_error.hpp"

#include <torch/cuda.h>

namespace volt::host {

namespace {

std::string resolve_accelerator(const nlohmann::json& trainer) {
  std::string a = trainer.value("accelerator", std::string("auto"));
  if (a == "gpu" || a == "cuda") return "cuda";
  if (a == "auto") return torch::cuda::is_available() ? "cuda" : "cpu";
  if (a == "cpu") return "cpu";
  throw config::ConfigError("trainer.accelerator: expected cpu, cuda, gpu or auto, got '" + a + "'");
}

}  // namespace

int64_t parse_devices(const nlohmann::json& devices, const std::string& accelerator,
                      int64_t cuda_device_count) {
  bool cuda = accelerator == "cuda";
  auto bad = [&](const std::string& why) {
    return config::ConfigError("trainer.devices=" + devices.dump() + ": " + why);
  };
  if (devices.is_null() || (devices.is_string() && devices.get<std::string>() == "auto"))
    return cuda ? std::max<int64_t>(1, cuda_device_count) : 1;
  if (devices.is_number_integer()) {
    int64_t n = devices.get<int64_t>();
    if (n == -1 && cuda) return std::max<int64_t>(1, cuda_device_count);
    if (n <= 0) throw bad(cuda ? "expected a number > 0, -1 (all GPUs) or GPU indices"
                               : "with the CPU accelerator expected a number of processes > 0");
    return n;
  }
  if (devices.is_array()) {
    if (!cuda) throw bad("GPU indices need the cuda accelerator; on CPU give a number of processes");
    if (devices.empty()) throw bad("the list of GPU indices is empty");
    return static_cast<int64_t>(devices.size());
  }
  if (devices.is_string()) {
    std::string text = devices.get<std::string>();
    if (text.find(',') != std::string::npos) {
      if (!cuda) throw bad("GPU indices need the cuda accelerator; on CPU give a number of processes");
      int64_t n = 1;
      for (char c : text) n += c == ',' ? 1 : 0;
      if (text.back() == ',') --n;  // Lightning's "0," means GPU 0
      return n;
    }
    try {
      size_t used = 0;
      int64_t n = std::stoll(text, &used);
      if (used == text.size()) return parse_devices(nlohmann::json(n), accelerator, cuda_device_count);
    } catch (const std::logic_error&) {
    }
  }
  throw bad("expected a number of devices, -1, \"auto\" or GPU indices such as \"0,1\"");
}

ProcessPlan plan_processes(const nlohmann::json& trainer, const std::string& strategy_id,
                           bool launching_strategy, const EnvLookup& env) {
  ProcessPlan plan;
  plan.accelerator = resolve_accelerator(trainer);
  int64_t cuda_count = plan.accelerator == "cuda" ? torch::cuda::device_count() : 0;
  const nlohmann::json& devices = trainer.contains("devices") ? trainer["devices"] : nlohmann::json();
  plan.num_nodes = trainer.value("num_nodes", int64_t{1});
  if (!launching_strategy) {
    // One process: the device list (if any) only chooses the GPU.
    int64_t n = parse_devices(devices, plan.accelerator, cuda_count);
    bool auto_devices = devices.is_null() || devices == "auto";
    if ((n > 1 && !auto_devices) || plan.num_nodes > 1)
      throw config::ConfigError(
          "strategy '" + strategy_id + "' runs one process on one device; trainer.devices=" +
          devices.dump() + " with trainer.num_nodes=" + std::to_string(plan.num_nodes) +
          " needs a distributed strategy such as --strategy=ddp (a strategy runs one process "
          "per device when its config schema says \"x-volt-launcher\": \"subprocess\"; see "
          "docs/guides/strategy.md)");
    plan.devices = 1;
    plan.num_nodes = 1;
    plan.cluster = detect_cluster_environment(env, 1, 1);
    return plan;
  }
  plan.devices = parse_devices(devices, plan.accelerator, cuda_count);
  if (plan.accelerator == "cuda" && plan.devices > cuda_count)
    throw config::ConfigError("trainer.devices asks for " + std::to_string(plan.devices) +
                              " GPUs but " + std::to_string(cuda_count) + " are visible");
  plan.cluster = detect_cluster_environment(env, plan.devices, plan.num_nodes);
  plan.launch_workers = !plan.cluster.creates_processes_externally && plan.devices > 1;
  return plan;
}

}  // namespace volt::host
