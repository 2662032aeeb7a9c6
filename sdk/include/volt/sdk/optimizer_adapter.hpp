// Exposes torch::optim optimizers and volt::LRScheduler through the C tables of
// volt/c/optimizer.h. Used by the export layer; plugin authors never touch it.
#pragma once

#include <volt/sdk/ivalue_json.hpp>
#include <volt/sdk/module.hpp>
#include <volt/sdk/optimizer_state.hpp>
#include <volt/sdk/state_codec.hpp>

#include <limits>

namespace volt::detail {

inline const char* optimizer_class_name(const torch::optim::Optimizer& o) {
  if (dynamic_cast<const torch::optim::AdamW*>(&o)) return "AdamW";
  if (dynamic_cast<const torch::optim::Adam*>(&o)) return "Adam";
  if (dynamic_cast<const torch::optim::SGD*>(&o)) return "SGD";
  if (dynamic_cast<const torch::optim::RMSprop*>(&o)) return "RMSprop";
  if (dynamic_cast<const torch::optim::Adagrad*>(&o)) return "Adagrad";
  if (dynamic_cast<const torch::optim::LBFGS*>(&o)) return "LBFGS";
  return "Optimizer";
}

struct OptimizerAdapter {
  volt_optimizer table{};
  std::shared_ptr<torch::optim::Optimizer> optimizer;

  explicit OptimizerAdapter(std::shared_ptr<torch::optim::Optimizer> o) : optimizer(std::move(o)) {
    table.struct_size = volt::abi_size(&table);
    table.impl = this;
    table.destroy = [](volt_optimizer* self) { delete static_cast<OptimizerAdapter*>(self->impl); };
    table.name = [](const volt_optimizer* self) {
      return optimizer_class_name(*get(self).optimizer);
    };
    table.step = [](volt_optimizer* self) {
      return guard([&] { get(self).optimizer->step(); });
    };
    table.zero_grad = [](volt_optimizer* self, bool set_to_none) {
      return guard([&] {
        // Same semantics on every LibTorch version (1.13 has no set_to_none argument).
        for (auto& group : get(self).optimizer->param_groups()) {
          for (auto& p : group.params()) {
            auto& g = p.mutable_grad();
            if (!g.defined()) continue;
            if (set_to_none) {
              g = at::Tensor();
            } else {
              if (g.grad_fn()) g = g.detach(); else g.requires_grad_(false);
              g.zero_();
            }
          }
        }
      });
    };
    table.param_group_count = [](const volt_optimizer* self) {
      return get(self).optimizer->param_groups().size();
    };
    table.get_lr = [](const volt_optimizer* self, size_t group) {
      return get(self).optimizer->param_groups().at(group).options().get_lr();
    };
    table.set_lr = [](volt_optimizer* self, size_t group, double lr) {
      get(self).optimizer->param_groups().at(group).options().set_lr(lr);
    };
    table.visit_params = [](const volt_optimizer* self, size_t group, volt_tensor_visitor visit,
                            void* ctx) {
      for (auto& p : get(self).optimizer->param_groups().at(group).params())
        visit(ctx, nullptr, borrow(p));
    };
    // State crosses the ABI as JSON plus tensor handles (volt/c/state.h): no copies.
    table.save_state = [](const volt_optimizer* self, const volt_state_sink* sink) {
      return guard([&] { write_state(optimizer_state_dict(*get(self).optimizer), sink); });
    };
    table.get_momentum = [](const volt_optimizer* self, size_t group) {
      auto* o = &get(self).optimizer->param_groups().at(group).options();
      if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(o)) return sgd->momentum();
      if (auto* rms = dynamic_cast<torch::optim::RMSpropOptions*>(o)) return rms->momentum();
      if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(o)) return std::get<0>(adamw->betas());
      if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(o)) return std::get<0>(adam->betas());
      return std::numeric_limits<double>::quiet_NaN();
    };
    table.load_state = [](volt_optimizer* self, const volt_state_view* state) {
      return guard([&] { load_optimizer_state_dict(*get(self).optimizer, read_state(state)); });
    };
  }

  static OptimizerAdapter& get(const volt_optimizer* self) {
    return *static_cast<OptimizerAdapter*>(self->impl);
  }
};

struct SchedulerAdapter {
  volt_lr_scheduler table{};
  std::shared_ptr<LRScheduler> scheduler;

  explicit SchedulerAdapter(std::shared_ptr<LRScheduler> s) : scheduler(std::move(s)) {
    table.struct_size = volt::abi_size(&table);
    table.impl = this;
    table.destroy = [](volt_lr_scheduler* self) {
      delete static_cast<SchedulerAdapter*>(self->impl);
    };
    table.step = [](volt_lr_scheduler* self, bool has_metric, double metric) {
      return guard([&] {
        static_cast<SchedulerAdapter*>(self->impl)->scheduler->step(
            has_metric ? std::optional<double>(metric) : std::nullopt);
      });
    };
    table.save_state = [](const volt_lr_scheduler* self, const volt_state_sink* sink) {
      return guard([&] {
        write_state(json_to_ivalue(static_cast<SchedulerAdapter*>(self->impl)->scheduler->state_dict()),
                    sink);
      });
    };
    table.load_state = [](volt_lr_scheduler* self, const volt_state_view* state) {
      return guard([&] {
        static_cast<SchedulerAdapter*>(self->impl)->scheduler->load_state_dict(
            ivalue_to_json(read_state(state)));
      });
    };
  }
};

// Hands every entry of `optimizers` to the host's sink.
inline void emit_optimizers(const Optimizers& optimizers, const volt_optimizer_sink* sink) {
  for (const auto& e : optimizers.entries()) {
    auto* opt = new OptimizerAdapter(e.optimizer);
    volt_lr_scheduler* sched = nullptr;
    if (e.scheduler) sched = &(new SchedulerAdapter(e.scheduler))->table;
    volt_scheduler_config c{};
    c.struct_size = volt::abi_size(&c);
    c.interval = e.config.interval == "step" ? VOLT_INTERVAL_STEP : VOLT_INTERVAL_EPOCH;
    c.frequency = e.config.frequency;
    c.monitor = e.config.monitor.empty() ? nullptr : e.config.monitor.c_str();
    c.name = e.config.name.empty() ? nullptr : e.config.name.c_str();
    check(sink->add(sink->ctx, &opt->table, sched, &c));
  }
}

}  // namespace volt::detail
