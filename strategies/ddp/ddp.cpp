// `ddp`: multi-process data parallel training (Lightning's DDPStrategy over PyTorch's
// DistributedDataParallel), on LibTorch's c10d. One process per device; the host's launcher
// starts them (or torchrun / SLURM did). Each rank trains a full replica on its own shard of
// the data; gradients are averaged across ranks in buckets during backward, so every rank
// takes the same optimizer step.
#include <volt/sdk/distributed/data_parallel.hpp>
#include <volt/sdk/distributed/gradient_reducer.hpp>

#include <volt/sdk.hpp>

namespace volt::strategies {

class Ddp : public distributed::DataParallelStrategy {
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

  explicit Ddp(const nlohmann::json& config)
      : distributed::DataParallelStrategy("ddp", std::chrono::milliseconds(static_cast<int64_t>(
                                        config.at("timeout").get<double>() * 1000.0))) {
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
  }

  void backward(ModuleRef module, const torch::Tensor& loss, bool sync) override {
    if (group() == nullptr) {
      module.backward(loss);
      return;
    }
    // Built at the first backward: the precision plugin converts the module after setup_module.
    if (!reducer_) {
      reducer_ = std::make_unique<distributed::GradientReducer>(*group(), module.named_parameters(),
                                                        reducer_options_);
      log_info("ddp: " + std::to_string(reducer_->bucket_count()) + " gradient buckets, " +
               std::to_string(reducer_->bytes_per_step()) + " bytes all-reduced per step");
    }
    reducer_->prepare(sync);
    module.backward(loss);
    reducer_->finish();
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
  distributed::ReducerOptions reducer_options_;
  std::unique_ptr<distributed::GradientReducer> reducer_;
};

}  // namespace volt::strategies

VOLT_PLUGINS(volt::strategies::Ddp)
