// Starts each wrap unit's gradient reduction from inside backward, as soon as autograd has
// accumulated the gradients of all its parameters (where PyTorch FSDP's post-backward hooks
// start its reduce-scatter): the all-reduce of the last layers' unit runs while backward still
// computes the first layers' gradients.
//
// Units start in one fixed order on every rank (the reverse of registration, the order backward
// finishes them in), each only after the ones before it, so that the collectives match across
// ranks whatever order the hooks fire in.
#pragma once

#include "flat_unit.hpp"

#include <torch/csrc/autograd/function.h>

#include <memory>
#include <mutex>
#include <vector>

namespace volt::strategies::fsdp {

class BackwardReducer {
 public:
  // `units` in registration order; they must outlive this object.
  BackwardReducer(std::vector<FlatUnit*> units, distributed::ProcessGroup* group);
  ~BackwardReducer();
  BackwardReducer(const BackwardReducer&) = delete;
  BackwardReducer& operator=(const BackwardReducer&) = delete;

  // Hooks the gradient accumulators the parameters have now (the compute layout, before the
  // forward that will use them) and keeps them alive until release(). [main-thread]
  void attach();
  void release();

  // Before the loss.backward() of a step that synchronises: from now on the hooks start the
  // reductions. [main-thread]
  void arm();
  // After it (or after a backward without arm()): starts the units no hook started, in the
  // same order, and waits for every reduction (FlatUnit::finish_reduce). [main-thread]
  void finish();
  // How many units the last finish() found started by the hooks (the rest it started itself).
  size_t started_in_backward() const { return started_in_backward_; }

 private:
  class ReadyHook;
  void member_ready(size_t unit);  // from a hook, under mutex_
  void start_ready_units();        // under mutex_

  std::vector<FlatUnit*> units_;   // in start order
  distributed::ProcessGroup* group_;
  std::mutex mutex_;
  std::vector<size_t> expected_;   // per unit: parameters with a gradient accumulator
  std::vector<size_t> waiting_;    // per unit: of those, the ones whose gradient is not final yet
  size_t next_ = 0;                // the next unit to start
  size_t started_in_backward_ = 0;
  bool armed_ = false;
  uint64_t generation_ = 0;        // hooks of an earlier attach() do nothing
  std::shared_ptr<bool> alive_;    // hooks outliving this object do nothing
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
};

}  // namespace volt::strategies::fsdp
