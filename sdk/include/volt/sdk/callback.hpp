// volt::Callback: Lightning's Callback hooks. `module()` is the LightningModule being run
// (valid during a hook); log() and the collectives are RunServices' (run_services.hpp).
#pragma once

#include <volt/sdk/ivalue_json.hpp>
#include <volt/sdk/refs.hpp>
#include <volt/sdk/run_services.hpp>

#include <nlohmann/json.hpp>

namespace volt {

class Callback : public RunServices {
 public:
  // Key of this callback's state in checkpoints; default: the plugin id.
  virtual std::string state_key() const { return state_key_; }
  // Monitoring callbacks (checkpointing, early stopping) run after the others.
  virtual bool is_monitoring() const { return false; }
  virtual nlohmann::json state_dict() const { return nlohmann::json::object(); }
  virtual void load_state_dict(const nlohmann::json& /*state*/) {}
  // The whole checkpointed state, for callbacks whose state holds tensors: a dict of strings to
  // numbers, strings, lists, dicts and tensors. By default state_dict() as a dict.
  virtual c10::IValue full_state_dict() const { return json_to_ivalue(state_dict()); }
  virtual void load_full_state_dict(const c10::IValue& state) { load_state_dict(ivalue_to_json(state)); }

  virtual void setup(Stage /*stage*/) {}
  virtual void teardown(Stage /*stage*/) {}
  virtual void on_fit_start() {}
  virtual void on_fit_end() {}
  virtual void on_sanity_check_start() {}
  virtual void on_sanity_check_end() {}
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
  virtual void on_exception(const std::string& /*message*/) {}
  // Keys put into `checkpoint` are added to the top level of the checkpoint being saved, as
  // in Lightning (a key Volt writes itself is refused); the callback's own state goes
  // through state_dict(). Every rank, also when this callback's hook is saving.
  virtual void on_save_checkpoint(CheckpointDict& /*checkpoint*/) {}
  // The whole checkpoint a fit resumes from, before this callback's state is loaded.
  virtual void on_load_checkpoint(const CheckpointDict& /*checkpoint*/) {}

  ModuleRef module() const { return module_; }

  // Set by the export layer.
  void set_state_key(std::string key) { state_key_ = std::move(key); }
  void set_module(volt_module* m) { module_ = ModuleRef(m); }

 private:
  std::string state_key_;
  ModuleRef module_;
};

}  // namespace volt
