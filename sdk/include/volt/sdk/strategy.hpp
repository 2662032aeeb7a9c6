// volt::Strategy: device placement, gradient synchronisation, optimizer steps and state
// gathering (Lightning's Strategy). The defaults are those of a single device.
#pragma once

#include <volt/sdk/refs.hpp>

namespace volt {

struct StrategyInfo {
  int32_t global_rank = 0;
  int32_t local_rank = 0;
  int32_t node_rank = 0;
  int32_t world_size = 1;
  std::string root_device = "cpu";
};

class Strategy : public PluginBase {
 public:
  virtual StrategyInfo setup_environment() = 0;
  virtual void setup_module(ModuleRef /*module*/) {}
  virtual void setup_optimizer(OptimizerRef /*optimizer*/) {}
  // Moves the batch to the root device, in place.
  virtual void batch_to_device(Batch& batch) = 0;
  virtual void backward(ModuleRef /*module*/, const torch::Tensor& loss, bool /*sync*/) {
    loss.backward();
  }
  virtual void optimizer_step(ModuleRef /*module*/, OptimizerRef optimizer) { optimizer.step(); }
  virtual torch::Tensor reduce(const torch::Tensor& t, Reduce /*op*/) { return t; }
  virtual void barrier(const std::string& /*name*/) {}
  // The module's full state (parameters then buffers) for a checkpoint.
  virtual NamedTensors module_state(ModuleRef module) {
    NamedTensors s = module.named_parameters();
    for (auto& b : module.named_buffers()) s.push_back(std::move(b));
    return s;
  }
  virtual void teardown() {}
};

}  // namespace volt
