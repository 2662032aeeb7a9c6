// Exposes a volt::LightningModule through the C table of volt/c/module.h.
#pragma once

#include <volt/sdk/module.hpp>
#include <volt/sdk/hook_dispatch.hpp>
#include <volt/sdk/hook_overrides.hpp>
#include <volt/sdk/optimizer_adapter.hpp>

namespace volt::detail {

inline std::string short_type_name(const torch::nn::Module& m) {
  std::string n = m.name();
  const std::string prefix = "torch::nn::";
  if (n.rfind(prefix, 0) == 0) n = n.substr(prefix.size());
  auto impl = n.rfind("Impl");
  if (impl != std::string::npos && impl + 4 == n.size()) n = n.substr(0, impl);
  return n;
}

inline void visit_children(const torch::nn::Module& m, const std::string& prefix, int32_t depth,
                           int32_t max_depth, volt_layer_visitor visit, void* ctx) {
  for (const auto& child : m.named_children()) {
    std::string name = prefix.empty() ? child.key() : prefix + "." + child.key();
    int64_t n = 0;
    for (const auto& p : child.value()->parameters(true)) n += p.numel();
    visit(ctx, name.c_str(), short_type_name(*child.value()).c_str(), n, depth);
    // max_depth -1: every level (Lightning).
    if (max_depth < 0 || depth < max_depth)
      visit_children(*child.value(), name, depth + 1, max_depth, visit, ctx);
  }
}

struct ModuleAdapter {
  volt_module table{};
  std::shared_ptr<LightningModule> module;
  std::string hparams_text;
  BatchBuffer batch_buffer;  // for the Batch of steps and batch hooks
  HookSet hooks;             // implements_hook (ABI 1.7)

  // `hooks`: those the module's class overrides (VOLT_PLUGINS passes overridden_hooks<T>).
  explicit ModuleAdapter(std::shared_ptr<LightningModule> m, HookSet h = HookSet::all())
      : module(std::move(m)), hooks(h) {
    table.struct_size = volt::abi_size(&table);
    table.impl = this;
    table.destroy = [](volt_module* self) { delete &get(self); };
    table.step = [](volt_module* self, const volt_step_args* a, volt_step_result* r) {
      return guard([&] {
        ModuleAdapter& me = get(self);
        LightningModule& m = *me.module;
        BorrowedBatch borrowed(me.batch_buffer, a->batch, a->batch_len);
        const Batch& batch = borrowed.get();
        torch::Tensor out;
        switch (a->step) {
          case VOLT_STEP_TRAINING: out = m.training_step(batch, a->batch_idx); break;
          case VOLT_STEP_VALIDATION: out = m.validation_step(batch, a->batch_idx); break;
          case VOLT_STEP_TEST: out = m.test_step(batch, a->batch_idx); break;
          case VOLT_STEP_PREDICT: {
            torch::Tensor p = m.predict_step(batch, a->batch_idx);
            if (p.defined())
              r->prediction = to_dlpack(p.detach().contiguous());
            return;
          }
          default: throw Error(VOLT_ERROR_INVALID_ARGUMENT, "unknown step kind");
        }
        if (out.defined()) r->output = new_ref(std::move(out));
      });
    };
    table.configure_optimizers = [](volt_module* self, const volt_optimizer_sink* sink) {
      return guard([&] {
        LightningModule& m = *get(self).module;
        Optimizers configured = m.configure_optimizers();
        std::vector<std::shared_ptr<torch::optim::Optimizer>> list;
        for (const auto& e : configured.entries()) list.push_back(e.optimizer);
        m.set_optimizers(std::move(list));
        emit_optimizers(configured, sink);
      });
    };
    table.named_tensors = [](volt_module* self, int32_t which, volt_tensor_visitor visit,
                             void* ctx) {
      return guard([&] {
        LightningModule& m = *get(self).module;
        auto items = which == VOLT_TENSORS_BUFFERS ? m.named_buffers(true)
                                                   : m.named_parameters(true);
        for (const auto& item : items) visit(ctx, item.key().c_str(), borrow(item.value()));
      });
    };
    table.to = [](volt_module* self, const char* device, int32_t code, int32_t bits) {
      return guard([&] {
        LightningModule& m = *get(self).module;
        m.to(torch::Device(device));
        if (code >= 0) {
          torch::Dtype dt = torch::kFloat32;
          if (code == VOLT_DL_BFLOAT) dt = torch::kBFloat16;
          else if (bits == 64) dt = torch::kFloat64;
          else if (bits == 16) dt = torch::kFloat16;
          m.to(dt);
        }
      });
    };
    table.set_training = [](volt_module* self, bool training) {
      return guard([&] { get(self).module->train(training); });
    };
    table.implements_hook = [](volt_module* self, int32_t hook) { return get(self).hooks.has(hook); };
    table.on_hook = [](volt_module* self, int32_t hook, const volt_hook_args* a) {
      return guard([&] {
        ModuleAdapter& me = get(self);
        dispatch_hook(*me.module, hook, a, me.batch_buffer);
      });
    };
    table.hparams_json = [](volt_module* self) {
      ModuleAdapter& me = get(self);
      me.hparams_text = me.module->hparams().dump();
      return me.hparams_text.c_str();
    };
    table.visit_layers = [](volt_module* self, int32_t max_depth, volt_layer_visitor visit,
                            void* ctx) {
      try {
        visit_children(*get(self).module, "", 1, max_depth, visit, ctx);
      } catch (...) {  // a summary is best effort; never let it cross the ABI
      }
    };
    table.automatic_optimization = [](volt_module* self) {
      return get(self).module->automatic_optimization();
    };
  }

  static ModuleAdapter& get(const volt_module* self) {
    return *static_cast<ModuleAdapter*>(self->impl);
  }
};

}  // namespace volt::detail
