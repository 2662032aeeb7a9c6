// volt::LightningModule: the model, its steps, its optimizers and Lightning's hooks.
#pragma once

#include <volt/sdk/run_services.hpp>
#include <volt/sdk/types.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace volt {

// An LR scheduler stepped by the trainer (interval and frequency from SchedulerConfig).
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  // `metric` is the monitored value when the config names one (ReduceLROnPlateau-like).
  virtual void step(std::optional<double> metric) = 0;
  // Saved in checkpoints (Lightning's lr_schedulers entries, Python's scheduler.state_dict()
  // names); override both so that a resumed run continues the schedule exactly.
  virtual nlohmann::json state_dict() const { return nlohmann::json::object(); }
  virtual void load_state_dict(const nlohmann::json& /*state*/) {}
};

// Lightning's lr_scheduler_config.
struct SchedulerConfig {
  std::string interval = "epoch";  // "epoch" | "step"
  int32_t frequency = 1;
  std::string monitor;             // metric name for plateau schedulers
  std::string name;                // for learning-rate monitors
};

struct OptimizerEntry {
  std::shared_ptr<torch::optim::Optimizer> optimizer;
  std::shared_ptr<LRScheduler> scheduler;
  SchedulerConfig config;
};

// What configure_optimizers returns: one or more optimizers, each with an optional scheduler.
//   return std::make_shared<torch::optim::Adam>(parameters(), torch::optim::AdamOptions(lr));
class Optimizers {
 public:
  Optimizers() = default;
  template <class O, class = std::enable_if_t<std::is_base_of_v<torch::optim::Optimizer, O>>>
  Optimizers(std::shared_ptr<O> optimizer) {  // NOLINT: implicit on purpose
    add(std::move(optimizer));
  }
  template <class O, class = std::enable_if_t<std::is_base_of_v<torch::optim::Optimizer, O>>>
  Optimizers(std::unique_ptr<O> optimizer) {  // NOLINT: implicit on purpose
    add(std::shared_ptr<O>(std::move(optimizer)));
  }

  Optimizers& add(std::shared_ptr<torch::optim::Optimizer> optimizer,
                  std::shared_ptr<LRScheduler> scheduler = nullptr, SchedulerConfig config = {}) {
    entries_.push_back({std::move(optimizer), std::move(scheduler), std::move(config)});
    return *this;
  }
  const std::vector<OptimizerEntry>& entries() const { return entries_; }

 private:
  std::vector<OptimizerEntry> entries_;
};

// Base class of every LightningModule plugin. Register submodules as with torch::nn::Module;
// the names they get are the state_dict keys of checkpoints.
class LightningModule : public torch::nn::Module, public RunServices {
 public:
  // --- steps ---
  virtual torch::Tensor training_step(const Batch& batch, int64_t batch_idx) = 0;
  virtual torch::Tensor validation_step(const Batch& /*batch*/, int64_t /*batch_idx*/) {
    return {};
  }
  virtual torch::Tensor test_step(const Batch& /*batch*/, int64_t /*batch_idx*/) { return {}; }
  // Override to support `volt predict`; the default reports that the module cannot predict.
  virtual torch::Tensor predict_step(const Batch& /*batch*/, int64_t /*batch_idx*/) {
    throw Error(VOLT_ERROR_UNIMPLEMENTED, "this module does not implement predict_step");
  }
  virtual Optimizers configure_optimizers() = 0;
  // false: training_step steps the optimizers itself (manual optimization).
  virtual bool automatic_optimization() const { return true; }

  // --- hooks, Lightning's names and order ---
  virtual void setup(Stage /*stage*/) {}
  virtual void teardown(Stage /*stage*/) {}
  virtual void on_fit_start() {}
  virtual void on_fit_end() {}
  virtual void on_train_start() {}
  virtual void on_train_end() {}
  virtual void on_train_epoch_start() {}
  virtual void on_train_epoch_end() {}
  virtual void on_train_batch_start(const Batch& /*batch*/, int64_t /*batch_idx*/) {}
  virtual void on_train_batch_end(const torch::Tensor& /*outputs*/, const Batch& /*batch*/,
                                  int64_t /*batch_idx*/) {}
  virtual void on_validation_start() {}
  virtual void on_validation_end() {}
  virtual void on_validation_epoch_start() {}
  virtual void on_validation_epoch_end() {}
  virtual void on_validation_batch_start(const Batch& /*batch*/, int64_t /*batch_idx*/) {}
  virtual void on_validation_batch_end(const torch::Tensor& /*outputs*/, const Batch& /*batch*/,
                                       int64_t /*batch_idx*/) {}
  virtual void on_test_start() {}
  virtual void on_test_end() {}
  virtual void on_test_epoch_start() {}
  virtual void on_test_epoch_end() {}
  virtual void on_test_batch_start(const Batch& /*batch*/, int64_t /*batch_idx*/) {}
  virtual void on_test_batch_end(const torch::Tensor& /*outputs*/, const Batch& /*batch*/,
                                 int64_t /*batch_idx*/) {}
  virtual void on_predict_start() {}
  virtual void on_predict_end() {}
  virtual void on_predict_epoch_start() {}
  virtual void on_predict_epoch_end() {}
  virtual void on_predict_batch_start(const Batch& /*batch*/, int64_t /*batch_idx*/) {}
  virtual void on_predict_batch_end(const torch::Tensor& /*outputs*/, const Batch& /*batch*/,
                                    int64_t /*batch_idx*/) {}
  virtual void on_before_backward(const torch::Tensor& /*loss*/) {}
  virtual void on_after_backward() {}
  virtual void on_before_optimizer_step(int32_t /*optimizer_idx*/) {}
  virtual void on_before_zero_grad(int32_t /*optimizer_idx*/) {}
  virtual void on_validation_model_eval() { eval(); }
  virtual void on_validation_model_train() { train(); }
  // The host has switched the module already (volt/c/hooks.h); these defaults repeat it.
  virtual void on_test_model_eval() { eval(); }
  virtual void on_test_model_train() { train(); }
  virtual void on_predict_model_eval() { eval(); }
  // Before a validation run inside fit: frees the gradients (Lightning's zero_grad).
  virtual void on_validation_model_zero_grad() {
    for (auto& p : parameters()) p.mutable_grad() = torch::Tensor();
  }
  virtual void on_exception(const std::string& /*message*/) {}

  // --- checkpoints (Lightning's on_save_checkpoint / on_load_checkpoint) ---
  // Keys put into `checkpoint` are added to the top level of the checkpoint being saved
  // (a key Volt writes itself is refused). Every rank.
  virtual void on_save_checkpoint(CheckpointDict& /*checkpoint*/) {}
  // The whole checkpoint (state_dict, loops, the keys added above...), before its weights load.
  virtual void on_load_checkpoint(const CheckpointDict& /*checkpoint*/) {}

  // Lightning's prepare_data (download, tokenize...): after the datamodule's, every rank.
  virtual void prepare_data() {}

  // Lightning's configure_callbacks: callbacks this module needs, each replacing the
  // configured callbacks of the same id (a plugin id or Lightning's class name).
  struct CallbackSpec {
    std::string id;
    nlohmann::json config = nlohmann::json::object();
  };
  virtual std::vector<CallbackSpec> configure_callbacks() { return {}; }

  // Lightning's configure_model: after setup, before the strategy sets the module up, in
  // every stage; build layers here that should not exist before (check that they do not yet).
  virtual void configure_model() {}

  // --- steps of the trainer a module may replace (called only when overridden) ---
  // One optimizer's step after backward. `step()` runs the trainer's (the precision plugin,
  // on_before_optimizer_step, gradient clipping, the strategy's step); not calling it skips
  // the step. Unlike Lightning's closure, training_step and backward have run already.
  virtual void optimizer_step(int64_t /*epoch*/, int64_t /*batch_idx*/,
                              torch::optim::Optimizer& /*optimizer*/,
                              const std::function<void()>& step) {
    step();
  }
  // Clears the gradients before an accumulation window; the default sets them to none.
  virtual void optimizer_zero_grad(int64_t /*epoch*/, int64_t /*batch_idx*/,
                                   torch::optim::Optimizer& optimizer) {
    for (auto& group : optimizer.param_groups())
      for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
  }
  // Clipping of one optimizer's gradients, given the trainer's gradient_clip_val and
  // gradient_clip_algorithm (empty when unset); the default clips with them.
  virtual void configure_gradient_clipping(torch::optim::Optimizer& optimizer,
                                           std::optional<double> gradient_clip_val,
                                           std::optional<std::string> gradient_clip_algorithm) {
    clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm);
  }
  // Lightning's clip_gradients, only from configure_gradient_clipping: clips by the L2 norm
  // ("norm", the default) or by value, through the strategy (sharded gradients included).
  void clip_gradients(torch::optim::Optimizer& optimizer, std::optional<double> clip_val,
                      std::optional<std::string> algorithm = std::nullopt);
  // loss.backward(), called by the strategy (the loss is already scaled for 16-mixed).
  virtual void backward(const torch::Tensor& loss) { loss.backward(); }
  // Every batch of every loop goes through these three, in this order (Lightning's batch
  // transfer hooks); each returns the batch to use from then on.
  virtual Batch on_before_batch_transfer(Batch batch, int32_t /*dataloader_idx*/) { return batch; }
  virtual Batch transfer_batch_to_device(Batch batch, const torch::Device& device,
                                         int32_t /*dataloader_idx*/) {
    for (auto& t : batch) t = t.to(device);
    return batch;
  }
  virtual Batch on_after_batch_transfer(Batch batch, int32_t /*dataloader_idx*/) { return batch; }

  // Lightning's self.optimizers(): those configure_optimizers returned, in order.
  const std::vector<std::shared_ptr<torch::optim::Optimizer>>& optimizers() const {
    return optimizers_;
  }

  // --- hyper-parameters (Lightning's save_hyperparameters) ---
  void save_hyperparameters(nlohmann::json hparams) { hparams_ = std::move(hparams); }
  const nlohmann::json& hparams() const { return hparams_; }

  // Set by the export layer (module_adapter.hpp, hook_dispatch.hpp).
  void set_optimizers(std::vector<std::shared_ptr<torch::optim::Optimizer>> o) {
    optimizers_ = std::move(o);
  }
  using ClipFunction = std::function<void(double clip_val, const std::string& algorithm)>;
  void set_clip_function(const ClipFunction* f) { clip_ = f; }

 private:
  nlohmann::json hparams_ = nlohmann::json::object();
  std::vector<std::shared_ptr<torch::optim::Optimizer>> optimizers_;
  const ClipFunction* clip_ = nullptr;  // during configure_gradient_clipping only
};

inline void LightningModule::clip_gradients(torch::optim::Optimizer& /*optimizer*/,
                                            std::optional<double> clip_val,
                                            std::optional<std::string> algorithm) {
  // The host clips the optimizer whose hook is running: `optimizer` names it, as in Lightning.
  if (clip_ == nullptr)
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                "clip_gradients is only available inside configure_gradient_clipping");
  if (!clip_val || *clip_val <= 0) return;
  std::string algo = algorithm.value_or("norm");
  if (algo != "norm" && algo != "value")
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "clip_gradients: gradient_clip_algorithm '" + algo + "' is not 'norm' or 'value'");
  (*clip_)(*clip_val, algo);
}

}  // namespace volt
