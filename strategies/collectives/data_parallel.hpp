// What the ddp and fsdp strategies share: one process per device, meeting in a c10d group
// (collectives.hpp) at setup_environment; every replica starting from rank 0's weights and
// buffers; batches moved to the rank's device; self.log's reductions, broadcasts and
// barriers over the group. Without a group (one process) each of these does nothing.
#pragma once

#include "collectives.hpp"

#include <volt/sdk/strategy.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace volt::strategies {

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

 protected:
  Collectives* group() const { return group_.get(); }  // null for one process
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
  std::unique_ptr<Collectives> group_;
};

}  // namespace volt::strategies
