// volt::Strategy: device placement, gradient synchronisation, optimizer steps and state
// gathering (Lightning's Strategy). The defaults are those of a single device.
#pragma once

#include <volt/sdk/refs.hpp>
#include <volt/sdk/state_codec.hpp>

#include <torch/nn/utils/clip_grad.h>

#include <memory>
#include <type_traits>

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

// An optimizer's own state dict (its save_state), and its restore (load_state).
inline c10::IValue state_dict_of(OptimizerRef optimizer) {
  StateCollector collected;
  volt_optimizer* o = optimizer.get();
  if (!VOLT_HAS_FIELD(o, volt_optimizer, save_state) || o->save_state == nullptr)
    throw Error(VOLT_ERROR_UNIMPLEMENTED, "the optimizer cannot save its state (ABI 1.0)");
  detail::check(o->save_state(o, collected.sink()), "optimizer.save_state");
  return collected.value();
}
inline void load_state_dict_into(OptimizerRef optimizer, const c10::IValue& state) {
  volt_optimizer* o = optimizer.get();
  if (!VOLT_HAS_FIELD(o, volt_optimizer, load_state) || o->load_state == nullptr)
    throw Error(VOLT_ERROR_UNIMPLEMENTED, "the optimizer cannot load a state (ABI 1.0)");
  StateView view(state);
  detail::check(o->load_state(o, view.get()), "optimizer.load_state");
}

// A shard in a sharded checkpoint (volt/c/strategy.h, module_state_shard): `piece` holds the
// elements [offset, offset + piece.numel()) of the flattened whole tensor of shape `shape`.
inline c10::IValue shard_entry(const torch::Tensor& piece, int64_t offset, c10::IntArrayRef shape) {
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  d.insert("volt_shard", piece.reshape({-1}));
  d.insert("offset", offset);
  d.insert("shape", c10::List<int64_t>(shape));
  return d;
}

class Strategy : public PluginBase {
 public:
  virtual StrategyInfo setup_environment() = 0;
  virtual void setup_module(ModuleRef /*module*/) {}
  virtual void setup_optimizer(OptimizerRef /*optimizer*/) {}
  // Moves the batch to the root device, in place.
  virtual void batch_to_device(Batch& batch) = 0;
  // The module's backward (ModuleRef::backward: loss.backward() unless the module overrides
  // it); a strategy that overrides this calls module.backward(loss) too.
  virtual void backward(ModuleRef module, const torch::Tensor& loss, bool /*sync*/) {
    module.backward(loss);
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

  // --- ABI 1.5: for strategies that shard the model (the defaults suit every other one) ---
  // Around each module step (`step` is a VOLT_STEP_* value): a sharding strategy gathers the
  // parameters in step_begin and frees them in step_end. A training step ends after its
  // backward and optimizer steps.
  virtual void step_begin(ModuleRef /*module*/, int32_t /*step*/) {}
  virtual void step_end(ModuleRef /*module*/, int32_t /*step*/) {}
  // The optimizer's state dict for a checkpoint, as on a single device (every rank calls it),
  // and its restore; a sharding strategy gathers and splits its shards.
  virtual c10::IValue optimizer_state(OptimizerRef optimizer) { return state_dict_of(optimizer); }
  virtual void load_optimizer_state(OptimizerRef optimizer, const c10::IValue& state) {
    load_state_dict_into(optimizer, state);
  }
  // clip_grad_norm_ over the optimizer's parameters; returns the norm before clipping.
  virtual double clip_grad_norm(OptimizerRef optimizer, double max_norm, double norm_type) {
    return torch::nn::utils::clip_grad_norm_(optimizer.params(), max_norm, norm_type);
  }

  // --- ABI 1.6: sharded checkpoints (a strategy that shards overrides all three) ---
  // True: every rank writes its own part of each checkpoint (a folder of files).
  virtual bool saves_sharded() const { return false; }
  // This rank's part of the module state: a dict name -> tensor (held whole) or shard_entry.
  virtual c10::IValue module_state_shard(ModuleRef module) {
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    for (auto& [name, t] : module_state(module)) d.insert(name, t);
    return d;
  }
  // This rank's part of the optimizer's state dict, per-parameter tensors as shard_entry.
  virtual c10::IValue optimizer_state_shard(OptimizerRef optimizer) { return optimizer_state(optimizer); }

  // --- ABI 1.8: the strategy's own state, Lightning's strategy hooks, all_gather ---
  // This rank's own state for checkpoints: a dict (empty: none). The host keeps every rank's
  // state, and load_state_dict gets this rank's back on resume, after the module weights and
  // the optimizer states were restored (so it may replace them with this rank's own).
  virtual c10::IValue state_dict() {
    return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
  }
  virtual void load_state_dict(const c10::IValue& /*state*/) {}
  // After the callbacks' and the module's on_train_start / on_train_end, on every rank.
  virtual void on_train_start() {}
  virtual void on_train_end() {}
  // Every rank's `t` stacked along a new first dimension. Not overriding it is fine: the
  // host then gathers through broadcast.
  virtual torch::Tensor all_gather(const torch::Tensor& t) { return t.unsqueeze(0); }

  // What the host detected; valid from setup_environment on (a host older than ABI 1.3 gives
  // the defaults: one process).
  const ClusterInfo& cluster() const { return cluster_; }
  void set_cluster(ClusterInfo c) { cluster_ = std::move(c); }

 private:
  ClusterInfo cluster_;
};

namespace detail {

// Which collectives a Strategy class implements, found at compile time as for hooks
// (hook_overrides.hpp): `&T::reduce` names Strategy's member unless T, or a class between, overrides
// it. The C table leaves the others NULL, so that the host knows a strategy that only ever
// runs one process, and refuses it when it runs several.
struct StrategyCollectives {
  bool reduce = true;
  bool broadcast = true;
  bool barrier = true;
  bool all_gather = true;
};

template <class T>
constexpr StrategyCollectives strategy_collectives() {
  StrategyCollectives c;
  c.reduce = !std::is_same_v<decltype(&T::reduce), decltype(&Strategy::reduce)>;
  c.broadcast = !std::is_same_v<decltype(&T::broadcast), decltype(&Strategy::broadcast)>;
  c.barrier = !std::is_same_v<decltype(&T::barrier), decltype(&Strategy::barrier)>;
  c.all_gather = !std::is_same_v<decltype(&T::all_gather), decltype(&Strategy::all_gather)>;
  return c;
}

}  // namespace detail

}  // namespace volt
