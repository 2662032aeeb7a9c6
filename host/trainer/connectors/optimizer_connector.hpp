// The optimizers and LR schedulers configure_optimizers returned (Lightning's
// trainer.optimizers and lr_scheduler_configs), owned here, and the scheduler steps of
// Lightning's update_lr_schedulers.
#pragma once

#include "trainer/components.hpp"

#include <string>
#include <vector>

namespace volt::host {

class TrainerParts;

// One optimizer with its scheduler, as configure_optimizers returned them.
struct OptimizerSlot {
  volt_optimizer* optimizer = nullptr;  // the module's tables, the `self` of calls
  volt_lr_scheduler* scheduler = nullptr;
  volt_optimizer optimizer_fns{};  // the same, completed to this host's ABI
  volt_lr_scheduler scheduler_fns{};
  int32_t interval = VOLT_INTERVAL_EPOCH;
  int32_t frequency = 1;
  std::string monitor;
  std::string name;  // lr_scheduler_config name, "" when unnamed
};

class OptimizerConnector {
 public:
  explicit OptimizerConnector(TrainerParts& t) : t_(t) {}
  ~OptimizerConnector();
  OptimizerConnector(const OptimizerConnector&) = delete;
  OptimizerConnector& operator=(const OptimizerConnector&) = delete;

  // The module's configure_optimizers, then the strategy's setup_optimizer for each.
  void configure();
  std::vector<OptimizerSlot>& slots() { return slots_; }
  const std::vector<OptimizerSlot>& slots() const { return slots_; }
  size_t size() const { return slots_.size(); }
  bool info(size_t index, volt_optimizer_info& out) const;

  // Lightning steps ReduceLROnPlateau (schedulers with a monitor) apart from the others.
  enum class SchedulerKind { NonPlateau, Plateau };
  // The epoch-interval schedulers of `kind` due this epoch (`monitor` read from the callback
  // metrics). Nothing under manual optimization: the module steps its schedulers itself.
  void step_epoch_schedulers(SchedulerKind kind);
  // The step-interval schedulers due after the optimizers stepped on `batch_idx`.
  void step_batch_schedulers(int64_t batch_idx);

 private:
  TrainerParts& t_;
  std::vector<OptimizerSlot> slots_;
};

}  // namespace volt::host
