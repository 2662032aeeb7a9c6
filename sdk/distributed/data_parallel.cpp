// The data-parallel base: one replica per process, started from rank 0's state.
#include <volt/sdk/distributed/data_parallel.hpp>

namespace volt::distributed {

StrategyInfo DataParallelStrategy::setup_environment() {
  const ClusterInfo& c = cluster();
  StrategyInfo info;
  info.global_rank = c.global_rank;
  info.local_rank = c.local_rank;
  info.node_rank = c.node_rank;
  info.world_size = c.world_size;
  device_ = c.accelerator == "cuda" ? torch::Device(torch::kCUDA, static_cast<int8_t>(c.local_rank))
                                    : torch::Device(torch::kCPU);
  info.root_device = device_.str();
  rank_ = c.global_rank;
  world_ = c.world_size;
  if (c.world_size > 1) {
    RendezvousOptions options = rendezvous_options(c, label_, timeout_);
    options.cancelled = [this] { return is_cancelled(); };  // SIGTERM, or the launcher gone
    log_info(label_ + ": rendezvous of " + std::to_string(c.world_size) + " processes at " +
             options.main_address + ":" + std::to_string(options.main_port) + " (timeout " +
             std::to_string(timeout_.count() / 1000) + " s)");
    group_ = ProcessGroup::connect(options);
  }
  return info;
}

void DataParallelStrategy::setup_module(ModuleRef module) {
  module.to(device_.str());
  if (!group_) return;
  check_same_model(module);
  // Every replica starts from rank 0's weights and buffers (DDP's _sync_module_states).
  NamedTensors state = module.named_parameters();
  for (auto& b : module.named_buffers()) state.push_back(std::move(b));
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : state) {
    torch::Tensor flat = t.detach().contiguous();
    group_->broadcast(flat, 0);
    if (flat.data_ptr() != t.data_ptr()) t.detach().copy_(flat);
  }
}

// The ranks must hold the same architecture: same number of parameters and elements.
void DataParallelStrategy::check_same_model(ModuleRef module) {
  NamedTensors params = module.named_parameters();
  int64_t count = static_cast<int64_t>(params.size()), numel = 0;
  for (auto& kv : params) numel += kv.second.numel();
  torch::Tensor mine = torch::tensor({count, numel}, torch::kLong);
  torch::Tensor hi = mine.clone(), lo = mine.clone();
  group_->all_reduce(hi, Reduce::Max);
  group_->all_reduce(lo, Reduce::Min);
  if (!torch::equal(hi, lo))
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                label_ + ": the ranks built different models (this rank: " + std::to_string(count) +
                    " parameters with " + std::to_string(numel) + " elements; across ranks " +
                    std::to_string(lo[1].item<int64_t>()) + " to " +
                    std::to_string(hi[1].item<int64_t>()) + " elements)");
}

void DataParallelStrategy::batch_to_device(Batch& batch) {
  for (auto& t : batch)
    if (t.device() != device_) t = t.to(device_, /*non_blocking=*/true);
}

std::unique_ptr<PendingReduce> DataParallelStrategy::start_reduce(const torch::Tensor& t, Reduce op) {
  if (!group_) return std::make_unique<ReadyReduce>(t);
  return std::make_unique<PendingAllReduce>(*group_, t, op);
}

torch::Tensor DataParallelStrategy::broadcast(const torch::Tensor& t, int32_t src) {
  if (!group_) return t;
  torch::Tensor out = t.detach().clone().contiguous();
  group_->broadcast(out, src);
  return out;
}

torch::Tensor DataParallelStrategy::all_gather(const torch::Tensor& t) {
  if (!group_) return t.detach().unsqueeze(0);
  return group_->all_gather(t);
}

void DataParallelStrategy::barrier(const std::string& /*name*/) {
  if (group_) group_->barrier();
}

}  // namespace volt::distributed
