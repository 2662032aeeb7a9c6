// `ddp`: multi-process data parallel training (Lightning's DDPStrategy over PyTorch's
// DistributedDataParallel), on LibTorch's c10d. One process per device; the host's launcher
// starts them (or torchrun / SLURM did). Each rank trains a full replica on its own shard of
// the data; gradients are averaged across ranks in buckets during backward, so every rank
// takes the same optimizer step.
#include "../collectives/collectives.hpp"
#include "gradient_reducer.hpp"

#include <volt/sdk.hpp>

namespace volt::strategies {

class Ddp : public Strategy {
 public:
  static PluginInfo info() {
    return {"ddp", "1.0.0", "Distributed data parallel: one process per device, gradients all-reduced",
            R"json({"type": "object", "additionalProperties": false,
              "x-volt-launcher": "subprocess",
              "properties": {
                "bucket_cap_mb": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": null,
                  "description": "size of the gradient buckets all-reduced together, in MiB; null: 25, with a first bucket of 1 MiB (PyTorch's default)"},
                "find_unused_parameters": {"type": "boolean", "default": false,
                  "description": "allow parameters that get no gradient in a step (counted as zero)"},
                "timeout": {"type": "number", "exclusiveMinimum": 0, "default": 1800,
                  "description": "seconds a rendezvous or collective may wait for the other ranks"},
                "overlap": {"type": "boolean", "default": true,
                  "description": "all-reduce buckets from gradient hooks during backward (false: after backward)"}
              }})json"};
  }

  explicit Ddp(const nlohmann::json& config) {
    // PyTorch's DDP: a bucket_cap_mb given applies to every bucket; by default the buckets
    // hold 25 MiB and the first one 1 MiB (dist._DEFAULT_FIRST_BUCKET_BYTES).
    if (config.at("bucket_cap_mb").is_null()) {
      reducer_options_.bucket_cap_bytes = 25LL * 1024 * 1024;
      reducer_options_.first_bucket_cap_bytes = 1024 * 1024;
    } else {
      reducer_options_.bucket_cap_bytes =
          static_cast<int64_t>(config.at("bucket_cap_mb").get<double>() * 1024.0 * 1024.0);
      reducer_options_.first_bucket_cap_bytes = reducer_options_.bucket_cap_bytes;
    }
    reducer_options_.find_unused_parameters = config.at("find_unused_parameters").get<bool>();
    reducer_options_.overlap = config.at("overlap").get<bool>();
    timeout_ = std::chrono::milliseconds(
        static_cast<int64_t>(config.at("timeout").get<double>() * 1000.0));
  }

  StrategyInfo setup_environment() override {
    const ClusterInfo& c = cluster();
    StrategyInfo info;
    info.global_rank = c.global_rank;
    info.local_rank = c.local_rank;
    info.node_rank = c.node_rank;
    info.world_size = c.world_size;
    device_ = c.accelerator == "cuda" ? torch::Device(torch::kCUDA, static_cast<int8_t>(c.local_rank))
                                      : torch::Device(torch::kCPU);
    info.root_device = device_.str();
    if (c.world_size > 1) {
      RendezvousOptions r;
      r.main_address = c.main_address;
      r.main_port = c.main_port;
      r.rank = c.global_rank;
      r.world_size = c.world_size;
      r.single_node = c.num_nodes <= 1;
      r.timeout = timeout_;
      group_ = Collectives::connect(r);
    }
    return info;
  }

  void setup_module(ModuleRef module) override {
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

  void batch_to_device(Batch& batch) override {
    for (auto& t : batch)
      if (t.device() != device_) t = t.to(device_, /*non_blocking=*/true);
  }

  void backward(ModuleRef module, const torch::Tensor& loss, bool sync) override {
    if (!group_) {
      loss.backward();
      return;
    }
    // Built at the first backward: the precision plugin converts the module after setup_module.
    if (!reducer_) {
      reducer_ = std::make_unique<ddp::GradientReducer>(*group_, module.named_parameters(),
                                                        reducer_options_);
      log_info("ddp: " + std::to_string(reducer_->bucket_count()) + " gradient buckets, " +
               std::to_string(reducer_->bytes_per_step()) + " bytes all-reduced per step");
    }
    reducer_->prepare(sync);
    loss.backward();
    reducer_->finish();
  }

  torch::Tensor reduce(const torch::Tensor& t, Reduce op) override {
    return start_reduce(t, op)->wait();
  }

  std::unique_ptr<PendingReduce> start_reduce(const torch::Tensor& t, Reduce op) override {
    if (!group_) return std::make_unique<ReadyReduce>(t);
    return std::make_unique<PendingAllReduce>(*group_, t, op);
  }

  torch::Tensor broadcast(const torch::Tensor& t, int32_t src) override {
    if (!group_) return t;
    torch::Tensor out = t.detach().clone().contiguous();
    group_->broadcast(out, src);
    return out;
  }

  void barrier(const std::string& /*name*/) override {
    if (group_) group_->barrier();
  }

  void teardown() override {
    if (reducer_ && reducer_->synchronised_steps() > 0) {
      std::string line = "ddp: " + std::to_string(reducer_->synchronised_steps()) +
                         " synchronised steps, " + std::to_string(reducer_->bytes_per_step()) +
                         " bytes all-reduced per step, " + std::to_string(reducer_->exposed_seconds()) +
                         " s of all-reduce not hidden by backward";
      if (!reducer_options_.overlap)
        line += ", " + std::to_string(reducer_->all_reduce_seconds()) +
                " s all-reducing once the ranks were lined up (median " +
                std::to_string(reducer_->median_all_reduce_seconds() * 1e3) + " ms per step)";
      log_info(line);
    }
    reducer_.reset();
  }

 private:
  // The ranks must hold the same architecture: same number of parameters and elements.
  void check_same_model(ModuleRef module) {
    NamedTensors params = module.named_parameters();
    int64_t count = static_cast<int64_t>(params.size()), numel = 0;
    for (auto& kv : params) numel += kv.second.numel();
    torch::Tensor mine = torch::tensor({count, numel}, torch::kLong);
    torch::Tensor hi = mine.clone(), lo = mine.clone();
    group_->all_reduce(hi, Reduce::Max);
    group_->all_reduce(lo, Reduce::Min);
    if (!torch::equal(hi, lo))
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  "ddp: the ranks built different models (this rank: " + std::to_string(count) +
                      " parameters with " + std::to_string(numel) + " elements; across ranks " +
                      std::to_string(lo[1].item<int64_t>()) + " to " +
                      std::to_string(hi[1].item<int64_t>()) + " elements)");
  }

  ddp::ReducerOptions reducer_options_;
  std::chrono::milliseconds timeout_{std::chrono::minutes(30)};
  torch::Device device_{torch::kCPU};
  std::unique_ptr<Collectives> group_;
  std::unique_ptr<ddp::GradientReducer> reducer_;
};

}  // namespace volt::strategies

VOLT_PLUGINS(volt::strategies::Ddp)
