// The module's parameters split into wrap units (FlatUnit), and what the fsdp strategy does
// with all of them at once: gather and free, average gradients, clip by the global norm, and
// turn sharded state (parameters, optimizer state) into the single-device form and back.
#pragma once

#include "backward_reducer.hpp"
#include "flat_unit.hpp"

#include <volt/sdk/strategy.hpp>

#include <functional>
#include <memory>
#include <unordered_map>

namespace volt::strategies::fsdp {

enum class Sharding { FullShard, ShardGradOp, NoShard };

const char* sharding_name(Sharding s);

struct WrapPolicy {
  // A unit closes at a submodule boundary once it holds this many parameter elements
  // (PyTorch's size_based_auto_wrap_policy); 0: the whole model is one unit.
  int64_t min_num_params = 0;
  // Or, when not empty: one unit per named submodule ("layers.0"; nested ones take their
  // parameters from the outer), and one for every parameter outside them (PyTorch's
  // ModuleWrapPolicy, by name: the C ABI shows parameter names, not module types).
  std::vector<std::string> modules;
};

class ShardedModel {
 public:
  // `group` is null for a single process. The parameters keep their values (every rank must
  // hold the same ones) and are full afterwards.
  ShardedModel(const NamedTensors& params, distributed::ProcessGroup* group, int32_t rank, int32_t world_size,
               Sharding sharding, const WrapPolicy& policy);

  size_t unit_count() const { return units_.size(); }
  int64_t numel() const;            // parameter elements, unpadded
  int64_t local_numel() const;      // elements this rank keeps between steps
  at::ScalarType dtype() const { return units_.front()->dtype(); }  // the master dtype

  // Every unit in the compute layout, in `dtype` (Undefined: the parameters' own).
  void use_compute(at::ScalarType dtype);
  // Every unit in the master layout (FULL_SHARD: the gathered buffers freed).
  void use_master();
  bool shards_gradients() const { return sharding_ != Sharding::NoShard; }

  // Around a training step (compute layout), when reductions overlap backward: hooks on the
  // parameters' gradient accumulators that start each unit's reduction from inside backward
  // (backward_reducer.hpp).
  void watch_gradients() { reducer_->attach(); }
  void unwatch_gradients() { reducer_->release(); }
  // Before a synchronising backward: its hooks start the reductions (without, or without
  // watch_gradients, reduce_gradients starts them all after backward).
  void arm_reduction() { reducer_->arm(); }
  // After a synchronising backward: averaged gradients, sharded unless NO_SHARD, the
  // parameters in the master layout.
  void reduce_gradients();
  // Of the units the last reduce_gradients() reduced, those whose all-reduce started inside
  // backward.
  size_t units_reduced_in_backward() const { return reducer_->started_in_backward(); }
  void clear_gradients();
  void clear_gradients(std::vector<torch::Tensor> params);  // of these parameters only

  // clip_grad_norm_ over `params` (local parts of sharded gradients), norm over all ranks.
  double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm, double norm_type);

  // The full parameters by name (gathered copies for units in their local layout).
  std::unordered_map<std::string, torch::Tensor> full_parameters();

  // For a sharded checkpoint: this rank's parameters by name, each a shard_entry (sharded
  // units) or the whole tensor (NO_SHARD); and the optimizer's state dict with each
  // per-parameter tensor of a sharded unit as a shard_entry.
  std::unordered_map<std::string, c10::IValue> parameter_shards() const;
  c10::IValue mark_optimizer_shards(const std::vector<torch::Tensor>& params, c10::IValue state) const;

  // The optimizer's state dict as a single device's, from this rank's shards, and back.
  c10::IValue gather_optimizer_state(const std::vector<torch::Tensor>& params, c10::IValue state);
  c10::IValue split_optimizer_state(const std::vector<torch::Tensor>& params, c10::IValue state);

 private:
  struct Where {
    size_t unit;
    size_t member;
  };
  const Where* find(const torch::Tensor& param) const;
  // Replaces each per-parameter tensor (all but "step") that the optimizer state dict `state`
  // holds for a parameter of these units by fn(unit, member, key, tensor); returns `state`.
  using StateMap = std::function<c10::IValue(const FlatUnit& unit, size_t member,
                                             const std::string& key, const torch::Tensor& t)>;
  c10::IValue map_parameter_state(const std::vector<torch::Tensor>& params, c10::IValue state,
                                  const StateMap& fn) const;

  distributed::ProcessGroup* group_;
  Sharding sharding_;
  std::vector<std::unique_ptr<FlatUnit>> units_;
  std::unordered_map<const void*, Where> where_;  // by TensorImpl
  std::unique_ptr<BackwardReducer> reducer_;      // after units_: destroyed before them
};

}  // namespace volt::strategies::fsdp
