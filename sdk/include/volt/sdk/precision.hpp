// volt::PrecisionPlugin: parameter and input dtypes, autocast, loss scaling (Lightning's
// Precision). The defaults are those of 32-true: nothing changes.
#pragma once

#include <volt/sdk/refs.hpp>

namespace volt {

class PrecisionPlugin : public PluginBase {
 public:
  virtual std::string name() const = 0;
  virtual void convert_module(ModuleRef /*module*/) {}
  virtual void convert_input(Batch& /*batch*/) {}
  virtual void forward_begin() {}
  virtual void forward_end() {}
  virtual torch::Tensor pre_backward(const torch::Tensor& loss) { return loss; }
  // Returns false to skip this optimizer step (e.g. non-finite gradients).
  virtual bool before_optimizer_step(OptimizerRef /*optimizer*/) { return true; }
  virtual void after_optimizer_step(OptimizerRef /*optimizer*/) {}

  // Checkpointed state (Lightning's precision plugin state_dict): a dict of strings to numbers,
  // strings, lists, dicts and tensors; an empty dict saves nothing.
  virtual c10::IValue state_dict() const { return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get()); }
  virtual void load_state_dict(const c10::IValue& /*state*/) {}
  // The state's key in checkpoints: Lightning's class name ("MixedPrecision").
  virtual std::string state_key() const { return "PrecisionPlugin"; }
};

}  // namespace volt
