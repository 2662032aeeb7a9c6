// volt::distributed::DataParallelStrategy: the base of a strategy with one process per device
// and a replica (or a shard) of the model in each, as the shipped ddp and fsdp are. It gives:
//  - setup_environment: the rendezvous of the ranks the host detected, over a ProcessGroup
//    (process_group.hpp), and the rank's device (cuda:<local rank> or cpu);
//  - setup_module: the same-model check across ranks, then rank 0's parameters and buffers
//    broadcast to every replica (DDP's _sync_module_states);
//  - batch_to_device, and reduce / start_reduce / broadcast / barrier over the group, which
//    self.log(sync_dist=True), the stop decisions and the checkpoints use.
// A derived strategy adds what happens to gradients (backward, optimizer_step) and reaches the
// group through group(). With one process there is no group and each collective is the
// identity.
#pragma once

#include <volt/sdk/distributed/process_group.hpp>

#include <volt/sdk/strategy.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace volt::distributed {

class DataParallelStrategy : public Strategy {
 public:
  // `label` names the strategy in errors; `timeout` bounds the rendezvous and each collective.
  DataParallelStrategy(std::string label, std::chrono::milliseconds timeout)
      : label_(std::move(label)), timeout_(timeout) {}

  StrategyInfo setup_environment() override;
  // Checks that every rank built the same model, then broadcasts rank 0's state.
  void setup_module(ModuleRef module) override;
  void batch_to_device(Batch& batch) override;
  torch::Tensor reduce(const torch::Tensor& t, Reduce op) override { return start_reduce(t, op)->wait(); }
  std::unique_ptr<PendingReduce> start_reduce(const torch::Tensor& t, Reduce op) override;
  torch::Tensor broadcast(const torch::Tensor& t, int32_t src) override;
  void barrier(const std::string& name) override;
  torch::Tensor all_gather(const torch::Tensor& t) override;

 protected:
  ProcessGroup* group() const { return group_.get(); }  // null for one process
  const torch::Device& device() const { return device_; }
  int32_t rank() const { return rank_; }
  int32_t world_size() const { return world_; }
  const std::string& label() const { return label_; }

 private:
  void check_same_model(ModuleRef module);

  std::string label_;
  std::chrono::milliseconds timeout_;
  torch::Device device_{torch::kCPU};
  int32_t rank_ = 0;
  int32_t world_ = 1;
  std::unique_ptr<ProcessGroup> group_;
};

}  // namespace volt::distributed
