#include "trainer/connectors/optimizer_connector.hpp"

#include "trainer/trainer_parts.hpp"

namespace volt::host {

OptimizerConnector::~OptimizerConnector() {
  for (auto& slot : slots_) {
    if (slot.scheduler != nullptr) slot.scheduler->destroy(slot.scheduler);
    if (slot.optimizer != nullptr) slot.optimizer->destroy(slot.optimizer);
  }
}

void OptimizerConnector::configure() {
  volt_optimizer_sink sink{};
  sink.struct_size = volt::abi_size(&sink);
  sink.ctx = &slots_;
  sink.add = [](void* ctx, volt_optimizer* opt, volt_lr_scheduler* sched,
                const volt_scheduler_config* cfg) -> volt_error* {
    return error_from([&] {
      OptimizerSlot slot;
      slot.optimizer = opt;
      slot.scheduler = sched;
      slot.optimizer_fns = complete_table(opt);
      slot.scheduler_fns = complete_table(sched);
      if (cfg != nullptr) {
        slot.interval = cfg->interval;
        slot.frequency = cfg->frequency > 0 ? cfg->frequency : 1;
        if (cfg->monitor != nullptr) slot.monitor = cfg->monitor;
        if (cfg->name != nullptr) slot.name = cfg->name;
      }
      static_cast<std::vector<OptimizerSlot>*>(ctx)->push_back(slot);
    });
  };
  const ModuleInstance& module = t_.c.module;
  {
    HookScope scope(t_.state.hook, VOLT_HOOK_CONFIGURE_OPTIMIZERS);
    module.check(module->configure_optimizers(module.get(), &sink), "configure_optimizers");
  }
  if (slots_.empty() && t_.automatic_optimization)
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                module.label() + ": configure_optimizers returned no optimizer");
  const StrategyInstance& strategy = t_.c.strategy;
  for (auto& slot : slots_)
    strategy.check(strategy->setup_optimizer(strategy.get(), slot.optimizer), "setup_optimizer");
}

bool OptimizerConnector::info(size_t index, volt_optimizer_info& out) const {
  if (index >= slots_.size()) return false;
  const OptimizerSlot& slot = slots_[index];
  out.optimizer = slot.optimizer;
  out.has_scheduler = slot.scheduler != nullptr;
  out.interval = slot.interval;
  out.frequency = slot.frequency;
  out.scheduler_name = slot.name.empty() ? nullptr : slot.name.c_str();
  return true;
}

void OptimizerConnector::step_epoch_schedulers(SchedulerKind kind) {
  if (!t_.automatic_optimization) return;
  const MetricCollector& metrics = t_.logging.metrics();
  for (auto& slot : slots_) {
    if (slot.scheduler == nullptr || slot.interval != VOLT_INTERVAL_EPOCH) continue;
    if (slot.monitor.empty() != (kind == SchedulerKind::NonPlateau)) continue;
    if ((t_.state.current_epoch + 1) % slot.frequency != 0) continue;
    double metric = 0;
    bool has = !slot.monitor.empty() && metrics.callback_metric(slot.monitor, metric);
    if (!slot.monitor.empty() && !has) {
      std::string available;
      for (const auto& [name, value] : metrics.callback_metrics())
        available += (available.empty() ? "" : ", ") + name;
      throw Error(VOLT_ERROR_NOT_FOUND,
                  "ReduceLROnPlateau conditioned on metric " + slot.monitor +
                      " which is not available. Available metrics are: [" + available +
                      "]. Condition can be set using `monitor` key in lr scheduler dict");
    }
    t_.c.module.check(slot.scheduler->step(slot.scheduler, has, metric), "lr_scheduler.step");
  }
}

void OptimizerConnector::step_batch_schedulers(int64_t batch_idx) {
  // Lightning's update_lr_schedulers("step"): after the optimizers, every `frequency` batches
  // of the epoch (batch_idx + 1), on batches that stepped.
  for (auto& slot : slots_)
    if (slot.scheduler != nullptr && slot.interval == VOLT_INTERVAL_STEP &&
        (batch_idx + 1) % slot.frequency == 0)
      t_.c.module.check(slot.scheduler->step(slot.scheduler, false, 0.0), "lr_scheduler.step");
}

}  // namespace volt::host
