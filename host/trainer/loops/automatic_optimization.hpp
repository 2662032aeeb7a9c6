// Lightning's _AutomaticOptimization: what follows the training step of one batch when the
// trainer optimizes (automatic_optimization=True): the loss divided over the accumulation
// window, zero_grad at the window's start, backward, and at its end the optimizer steps
// (with gradient clipping) and the step-interval schedulers. A module may replace
// optimizer_zero_grad, optimizer_step, configure_gradient_clipping and backward (ABI 1.10);
// the trainer's own step is then handed to it.
#pragma once

#include "checkpoint/loop_state.hpp"
#include "trainer/components.hpp"

#include <string>

namespace volt::host {

class TrainerParts;
class ModuleStep;
struct OptimizerSlot;

class AutomaticOptimization {
 public:
  AutomaticOptimization(TrainerParts& t, FitProgress& progress) : t_(t), progress_(progress) {}

  // After `step` (the batch's training_step) returned its loss.
  void run(ModuleStep& step, int64_t batch_idx, bool is_last_batch);

 private:
  void zero_grad(size_t optimizer_idx, int64_t batch_idx);       // optimizer_zero_grad
  void backward(const at::Tensor& loss, bool should_step);
  void step_optimizer(size_t optimizer_idx, int64_t batch_idx);  // optimizer_step
  // The trainer's optimizer step: precision, on_before_optimizer_step, clipping, the strategy.
  void optimizer_step(size_t optimizer_idx);
  void configure_gradient_clipping(size_t optimizer_idx);
  void clip_gradients(volt_optimizer* optimizer, double clip_val, const std::string& algorithm);

  TrainerParts& t_;
  FitProgress& progress_;  // the fit loop's
};

}  // namespace volt::host
