// volt::Strategy: device placement, gradient synchronisation, optimizer steps and state
// gathering (Lightning's Strategy). The defaults are those of a single device.
#pragma once

#include <volt/sdk/refs.hpp>

#include <memory>

namespace volt {

// The cluster environment the host detected (ABI 1.3): where this process sits and where the
// ranks meet. A strategy reads it in setup_environment through cluster().
struct ClusterInfo {
  int32_t global_rank = 0;
  int32_t local_rank = 0;
  int32_t node_rank = 0;
  int32_t world_size = 1;
  int32_t num_nodes = 1;
  int32_t local_world_size = 1;  // processes per node
  std::string main_address = "127.0.0.1";
  int32_t main_port = 0;
  std::string environment = "lightning";  // "torchelastic", "slurm" or "lightning"
  std::string accelerator = "cpu";         // "cpu" or "cuda"
};

struct StrategyInfo {
  int32_t global_rank = 0;
  int32_t local_rank = 0;
  int32_t node_rank = 0;
  int32_t world_size = 1;
  std::string root_device = "cpu";
};

// An all-reduce in flight (Strategy::start_reduce). wait() gives the result; destroying it
// without wait() gives the reduction up (a strategy lets its collective finish in the
// background, since the other ranks take part in it too).
class PendingReduce {
 public:
  virtual ~PendingReduce() = default;
  virtual torch::Tensor wait() = 0;
};

// A reduction that was done before it was handed out: the default for strategies without
// asynchronous collectives.
class ReadyReduce final : public PendingReduce {
 public:
  explicit ReadyReduce(torch::Tensor result) : result_(std::move(result)) {}
  torch::Tensor wait() override { return result_; }

 private:
  torch::Tensor result_;
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
  // reduce() without waiting for the other ranks (ABI 1.4): every rank starts the same
  // reductions in the same order. The default reduces at once.
  virtual std::unique_ptr<PendingReduce> start_reduce(const torch::Tensor& t, Reduce op) {
    return std::make_unique<ReadyReduce>(reduce(t, op));
  }
  // Rank `src`'s tensor on every rank (Lightning's strategy.broadcast).
  virtual torch::Tensor broadcast(const torch::Tensor& t, int32_t /*src*/) { return t; }
  virtual void barrier(const std::string& /*name*/) {}
  // The module's full state (parameters then buffers) for a checkpoint.
  virtual NamedTensors module_state(ModuleRef module) {
    NamedTensors s = module.named_parameters();
    for (auto& b : module.named_buffers()) s.push_back(std::move(b));
    return s;
  }
  virtual void teardown() {}

  // What the host detected; valid from setup_environment on (a host older than ABI 1.3 gives
  // the defaults: one process).
  const ClusterInfo& cluster() const { return cluster_; }
  void set_cluster(ClusterInfo c) { cluster_ = std::move(c); }

 private:
  ClusterInfo cluster_;
};

}  // namespace volt
