// `fsdp`: fully sharded data parallel training (Lightning's FSDPStrategy over PyTorch FSDP,
// DeepSpeed's ZeRO stages), on LibTorch's c10d. One process per device, as ddp; each rank
// trains on its own shard of the data, and keeps only its slice of the model state:
//  - FULL_SHARD (ZeRO-3): parameters, gradients and optimizer state sharded; the parameters
//    are gathered for each step and freed once its backward reduced the gradients;
//  - SHARD_GRAD_OP (ZeRO-2): gradients and optimizer state sharded, parameters replicated
//    (each rank's updated slice gathered into every replica before the next step);
//  - NO_SHARD: like ddp (gradients all-reduced after backward).
// Checkpoints hold the full, single-device state (state_dict_type "full": rank 0 writes them,
// every rank takes part in gathering them), or each rank's own part ("sharded": a folder with
// one file per rank, written in parallel without gathering; host/checkpoint/sharded_checkpoint).
#include <volt/sdk/distributed/data_parallel.hpp>
#include "sharded_model.hpp"

#include <volt/sdk.hpp>

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace volt::strategies {

class Fsdp : public distributed::DataParallelStrategy {
 public:
  static PluginInfo info() {
    return {"fsdp", "1.0.0",
            "Fully sharded data parallel: parameters, gradients and optimizer state split across ranks",
            R"json({"type": "object", "additionalProperties": false,
              "x-volt-launcher": "subprocess",
              "properties": {
                "sharding_strategy": {"enum": ["FULL_SHARD", "SHARD_GRAD_OP", "NO_SHARD"],
                  "default": "FULL_SHARD",
                  "description": "what is sharded: FULL_SHARD parameters, gradients and optimizer state (ZeRO-3); SHARD_GRAD_OP gradients and optimizer state (ZeRO-2); NO_SHARD nothing (like ddp)"},
                "min_num_params": {"type": "integer", "minimum": 0, "default": 0,
                  "description": "wrap policy: a unit closes at a submodule boundary once it holds this many parameter elements; 0: the whole model is one unit"},
                "wrap_modules": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                  "description": "wrap policy by submodule: one unit per named submodule (e.g. [\"layers.0\", \"layers.2\"]) and one for the parameters outside them; replaces min_num_params"},
                "state_dict_type": {"enum": ["full", "sharded"], "default": "full",
                  "description": "checkpoint layout: full (one single-device checkpoint written by rank 0) or sharded (a folder with one file per rank, written in parallel; volt checkpoint consolidate makes it one file)"},
                "overlap": {"type": "boolean", "default": true,
                  "description": "start each unit's gradient reduction from inside backward, once its gradients are final; false: all after backward (the benchmark's baseline)"},
                "timeout": {"type": "number", "exclusiveMinimum": 0, "default": 1800,
                  "description": "seconds a rendezvous or collective may wait for the other ranks"}
              }})json"};
  }

  explicit Fsdp(const nlohmann::json& config)
      : distributed::DataParallelStrategy("fsdp", std::chrono::milliseconds(static_cast<int64_t>(
                                         config.at("timeout").get<double>() * 1000.0))) {
    std::string s = config.at("sharding_strategy").get<std::string>();
    sharding_ = s == "FULL_SHARD"      ? fsdp::Sharding::FullShard
                : s == "SHARD_GRAD_OP" ? fsdp::Sharding::ShardGradOp
                                       : fsdp::Sharding::NoShard;
    policy_.min_num_params = config.at("min_num_params").get<int64_t>();
    policy_.modules = config.at("wrap_modules").get<std::vector<std::string>>();
    if (!policy_.modules.empty() && policy_.min_num_params > 0)
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "fsdp: wrap_modules and min_num_params are two wrap policies; set one of them");
    sharded_checkpoints_ = config.at("state_dict_type").get<std::string>() == "sharded";
    overlap_ = config.at("overlap").get<bool>();
  }

  void setup_module(ModuleRef module) override {
    module_ = module;
    distributed::DataParallelStrategy::setup_module(module);
  }

  // The host calls it inside the precision plugin's forward context: under bf16-mixed's
  // autocast the parameters are gathered, and computed with, in bfloat16 (PyTorch FSDP's
  // MixedPrecision(param_dtype=...)), while the optimizer keeps stepping float32 slices.
  void step_begin(ModuleRef /*module*/, int32_t step) override {
    at::ScalarType dtype = autocast_dtype();
    fsdp::ShardedModel& m = model();
    if (dtype != at::ScalarType::Undefined && dtype != logged_dtype_) {
      log_info(std::string("fsdp: parameters gathered in ") + c10::toString(dtype) +
               " (the precision's autocast dtype), optimizer steps on " +
               c10::toString(m.dtype()) + " master values");
      logged_dtype_ = dtype;
    }
    m.use_compute(dtype);
    if (step == VOLT_STEP_TRAINING && overlap_) m.watch_gradients();
  }

  void step_end(ModuleRef /*module*/, int32_t step) override {
    if (!model_) return;
    if (step == VOLT_STEP_TRAINING) {
      model_->unwatch_gradients();
      // Gradients that no optimizer step used (a skipped step) are local parts: dropped, so
      // that the next backward accumulates into full-shaped ones.
      if (gradients_sharded_) model_->clear_gradients();
      gradients_sharded_ = false;
      return;
    }
    if (sharding_ == fsdp::Sharding::FullShard) model_->use_master();
  }

  void backward(ModuleRef module, const torch::Tensor& loss, bool sync) override {
    // Accumulation steps keep full local gradients and communicate nothing; otherwise each
    // unit's all-reduce starts from inside backward once its gradients are final.
    if (sync && overlap_) model().arm_reduction();
    module.backward(loss);
    if (!sync) return;
    model().reduce_gradients();
    if (!reported_overlap_) {
      log_info("fsdp: " + std::to_string(model_->units_reduced_in_backward()) + " of " +
               std::to_string(model_->unit_count()) +
               " wrap units started reducing their gradients inside backward");
      reported_overlap_ = true;
    }
    gradients_sharded_ = model_->shards_gradients();
  }

  void optimizer_step(ModuleRef /*module*/, OptimizerRef optimizer) override {
    optimizer.step();
    if (!gradients_sharded_) return;
    model_->clear_gradients(optimizer.params());
    // SHARD_GRAD_OP gathers the updated slices at the next step_begin, which every rank
    // reaches also when a loss scaler skipped this step.
  }

  double clip_grad_norm(OptimizerRef optimizer, double max_norm, double norm_type) override {
    if (!gradients_sharded_) return Strategy::clip_grad_norm(optimizer, max_norm, norm_type);
    return model_->clip_grad_norm(optimizer.params(), max_norm, norm_type);
  }

  // Every rank calls it (the host gathers on all, rank 0 writes).
  NamedTensors module_state(ModuleRef module) override {
    if (!model_) return Strategy::module_state(module);
    auto full = model_->full_parameters();
    NamedTensors s;
    for (auto& [name, p] : module.named_parameters()) {
      auto it = full.find(name);
      s.emplace_back(name, it != full.end() ? it->second : p);
    }
    for (auto& b : module.named_buffers()) s.push_back(std::move(b));
    return s;
  }

  c10::IValue optimizer_state(OptimizerRef optimizer) override {
    return model().gather_optimizer_state(optimizer.params(), state_dict_of(optimizer));
  }

  void load_optimizer_state(OptimizerRef optimizer, const c10::IValue& state) override {
    // The optimizer checks state shapes against its parameters: they take the layout they have
    // when it steps (the next step_begin gathers them again).
    model().use_master();
    load_state_dict_into(optimizer, model_->split_optimizer_state(optimizer.params(), state));
  }

  // state_dict_type "sharded": each rank saves what it keeps, no gathering.
  bool saves_sharded() const override { return sharded_checkpoints_; }

  c10::IValue module_state_shard(ModuleRef module) override {
    auto shards = model().parameter_shards();
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    for (auto& [name, p] : module.named_parameters()) {
      auto it = shards.find(name);
      d.insert(name, it != shards.end() ? it->second : c10::IValue(p));
    }
    for (auto& [name, b] : module.named_buffers()) d.insert(name, b);
    return d;
  }

  c10::IValue optimizer_state_shard(OptimizerRef optimizer) override {
    return model().mark_optimizer_shards(optimizer.params(), state_dict_of(optimizer));
  }

  void teardown() override {
    // The module leaves whole, as on a single device (every rank tears down).
    if (model_) model_->use_compute(at::ScalarType::Undefined);
    model_.reset();
  }

 private:
  // Built at first use, not in setup_module: a checkpoint restores the full weights before.
  fsdp::ShardedModel& model() {
    if (!model_) {
      model_ = std::make_unique<fsdp::ShardedModel>(module_.named_parameters(), group(), rank(),
                                                    world_size(), sharding_, policy_);
      log_info(std::string("fsdp: ") + fsdp::sharding_name(sharding_) + ", " +
               std::to_string(model_->unit_count()) + " wrap units, " +
               std::to_string(model_->numel()) + " parameter elements, " +
               std::to_string(model_->local_numel()) + " kept on this rank");
    }
    return *model_;
  }

  // The dtype autocast computes in on the parameters' device, or Undefined when it is off.
  at::ScalarType autocast_dtype() const {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::DeviceType type = device().type();
    if (at::autocast::is_autocast_enabled(type)) return at::autocast::get_autocast_dtype(type);
#else
    if (device().is_cuda() && at::autocast::is_enabled()) return at::autocast::get_autocast_gpu_dtype();
    if (device().is_cpu() && at::autocast::is_cpu_enabled()) return at::autocast::get_autocast_cpu_dtype();
#endif
    return at::ScalarType::Undefined;
  }

  fsdp::Sharding sharding_ = fsdp::Sharding::FullShard;
  fsdp::WrapPolicy policy_;
  ModuleRef module_;
  std::unique_ptr<fsdp::ShardedModel> model_;
  bool gradients_sharded_ = false;
  bool sharded_checkpoints_ = false;
  bool overlap_ = true;
  bool reported_overlap_ = false;
  at::ScalarType logged_dtype_ = at::ScalarType::Undefined;
};

}  // namespace volt::strategies

VOLT_PLUGINS(volt::strategies::Fsdp)
