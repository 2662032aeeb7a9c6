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
};

}  // namespace volt
