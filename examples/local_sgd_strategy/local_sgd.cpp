// `local_sgd`: Local SGD. Each rank trains its own replica on its shard of the data and
// exchanges nothing during backward; every `sync_every` optimizer steps the ranks average
// their parameters and buffers. Between two averagings the replicas differ, so each rank
// keeps its own weights and optimizer state in checkpoints (state_dict), which makes resume
// exact. Built from what `cmake --install` gives: Volt::distributed.
#include <volt/sdk.hpp>
#include <volt/sdk/distributed/data_parallel.hpp>

class LocalSgd : public volt::distributed::DataParallelStrategy {
 public:
  static volt::PluginInfo info() {
    return {"local_sgd", "1.0.0", "Local SGD: ranks train apart, averaging parameters every K steps",
            R"json({"type": "object", "additionalProperties": false,
              "x-volt-launcher": "subprocess",
              "properties": {
                "sync_every": {"type": "integer", "minimum": 1, "default": 8,
                  "description": "optimizer steps between two averagings of the replicas (K)"},
                "timeout": {"type": "number", "exclusiveMinimum": 0, "default": 1800,
                  "description": "seconds a rendezvous or collective may wait for the other ranks"}
              }})json"};
  }

  explicit LocalSgd(const nlohmann::json& config)
      : DataParallelStrategy("local_sgd", std::chrono::milliseconds(static_cast<int64_t>(
                                              config.at("timeout").get<double>() * 1000))),
        sync_every_(config.at("sync_every").get<int64_t>()) {}

  void setup_module(volt::ModuleRef module) override {
    DataParallelStrategy::setup_module(module);  // every replica starts from rank 0's weights
    module_ = module;
  }
  void setup_optimizer(volt::OptimizerRef optimizer) override { optimizers_.push_back(optimizer); }

  // backward is Strategy's: the module's backward, no gradient exchange.
  void optimizer_step(volt::ModuleRef /*module*/, volt::OptimizerRef optimizer) override {
    optimizer.step();
    if (++steps_ % sync_every_ == 0) average();
  }
  // The trained model is the average, also when the last window was not complete.
  void on_train_end() override {
    if (steps_ % sync_every_ != 0) average();
  }

  c10::IValue state_dict() override {
    c10::impl::GenericDict state(c10::StringType::get(), c10::AnyType::get());
    c10::impl::GenericDict weights(c10::StringType::get(), c10::AnyType::get());
    for (auto& [name, t] : replica()) weights.insert(name, t.detach().clone());
    c10::impl::GenericList optimizers(c10::AnyType::get());
    for (auto& o : optimizers_) optimizers.push_back(volt::state_dict_of(o));
    state.insert("steps", steps_);
    state.insert("weights", weights);
    state.insert("optimizers", optimizers);
    return state;
  }
  void load_state_dict(const c10::IValue& saved) override {
    auto state = saved.toGenericDict();
    steps_ = state.at("steps").toInt();
    auto weights = state.at("weights").toGenericDict();
    torch::NoGradGuard no_grad;
    for (auto& [name, t] : replica()) t.copy_(weights.at(name).toTensor());
    auto optimizers = state.at("optimizers").toList();
    for (size_t i = 0; i < optimizers_.size(); ++i)
      volt::load_state_dict_into(optimizers_[i], optimizers.get(i));
  }

 private:
  volt::NamedTensors replica() const {
    volt::NamedTensors all = module_.named_parameters();
    for (auto& b : module_.named_buffers()) all.push_back(std::move(b));
    return all;
  }
  void average() {
    if (group() == nullptr) return;  // one process: nothing to average
    std::vector<at::Tensor> tensors;
    for (auto& [name, t] : replica())
      if (t.is_floating_point()) tensors.push_back(t);
    group()->all_reduce_coalesced(tensors, volt::Reduce::Mean);
  }

  int64_t sync_every_;
  int64_t steps_ = 0;
  volt::ModuleRef module_;
  std::vector<volt::OptimizerRef> optimizers_;
};

VOLT_PLUGINS(LocalSgd)
