// One step of the module (training_step, validation_step, test_step or predict_step), the
// sequence every loop runs: the precision plugin's forward context around the strategy's
// step_begin and the module's step, then, when the loop is done with the batch, the
// strategy's step_end. The step's outputs are owned by this object from the moment the module
// returns them, so nothing leaks when a later part of the batch throws.
#pragma once

#include "trainer/components.hpp"

namespace volt::host {

class TrainerParts;

class ModuleStep {
 public:
  // Runs the step (VOLT_STEP_*) on `batch`; throws volt::Error naming the module's step.
  ModuleStep(TrainerParts& t, int32_t step, const HostBatch& batch, int64_t batch_idx);
  ~ModuleStep();
  ModuleStep(const ModuleStep&) = delete;
  ModuleStep& operator=(const ModuleStep&) = delete;

  // The tensor the step returned (the loss in training), owned here; NULL when none.
  volt_tensor* output() const { return output_; }
  // The step's prediction (predict_step), copied out of the module; undefined when none.
  at::Tensor take_prediction();
  // The strategy's step_end (ABI 1.5), once the loop is done with the step.
  void end();

 private:
  TrainerParts& t_;
  int32_t step_;
  volt_tensor* output_ = nullptr;
  volt_dl_managed_tensor* prediction_ = nullptr;
};

}  // namespace volt::host
