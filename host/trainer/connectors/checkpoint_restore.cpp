// Reading checkpoints back: ckpt_path resolution and the restore order of Lightning's
// checkpoint connector (lightning.md section 7): weights and callbacks before
// configure_optimizers, then loops, optimizers and LR schedulers after on_fit_start.
#include "trainer/connectors/checkpoint_connector.hpp"

#include "checkpoint/ckpt_path.hpp"
#include "checkpoint/state_dict.hpp"
#include "trainer/plugin_state.hpp"
#include "runtime/log.hpp"
#include "trainer/trainer_parts.hpp"

#include <volt/sdk/ivalue_json.hpp>
#include <volt/sdk/refs.hpp>
#include <volt/sdk/state_codec.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>

namespace volt::host {

namespace fs = std::filesystem;

std::optional<CheckpointFile> CheckpointConnector::read_ckpt_path(const std::optional<std::string>& ckpt_path) {
  if (!ckpt_path || ckpt_path->empty()) return std::nullopt;
  CkptSearch where;
  where.root_dir = root_dir();
  where.log_dir = t_.log_dir;
  for (auto& cb : t_.c.callbacks) {
    auto state_json = cb->state_json;
    const char* text = state_json != nullptr ? state_json(cb.get()) : nullptr;
    if (text != nullptr) where.callback_states.emplace_back(text);
  }
  auto path = resolve_ckpt_path(*ckpt_path, where);
  if (!path) return std::nullopt;
  return load_checkpoint_file(*path);
}

void CheckpointConnector::restore_weights(const CheckpointFile& ckpt) {
  call_load_checkpoint(ckpt, false);  // Lightning: the module's on_load_checkpoint, then its weights
  ModuleRef module(t_.c.module.get());
  NamedTensors live = module.named_parameters();
  for (auto& b : module.named_buffers()) live.push_back(std::move(b));
  load_state_dict(live, ckpt.state_dict(), ckpt.name());
}

namespace {

bool empty_dict(const c10::IValue& v) { return v.isGenericDict() && v.toGenericDict().empty(); }

const c10::IValue& list_entry(const CheckpointFile& ckpt, const char* key, size_t count,
                              size_t index) {
  const c10::IValue* v = ckpt.find(key);
  if (v == nullptr)
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                "checkpoint " + ckpt.name() + " has no '" + key + "': it holds only the model " +
                    "(saved with weights_only?), so training cannot resume from it");
  if (!v->isList() || v->toListRef().size() != count)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "checkpoint " + ckpt.name() + " has " +
                    std::to_string(v->isList() ? v->toListRef().size() : 0) + " " + key +
                    " but the module configured " + std::to_string(count));
  return v->toListRef()[index];
}

// What the saved optimizer state says about the optimizer that wrote it (its per-parameter
// keys are torch.optim's), for an error when the configured optimizer cannot load it: resuming
// an SGD checkpoint with Adam said only "missing 'exp_avg'".
std::string saved_optimizer_hint(const c10::IValue& state) {
  if (!state.isGenericDict()) return "";
  auto per_param = state.toGenericDict().find(c10::IValue(std::string("state")));
  if (per_param == state.toGenericDict().end() || !per_param->value().isGenericDict() ||
      per_param->value().toGenericDict().empty())
    return "";
  const c10::IValue first = per_param->value().toGenericDict().begin()->value();
  if (!first.isGenericDict()) return "";
  static const std::vector<std::pair<std::string, std::string>> kOwners = {
      {"momentum_buffer", "SGD"}, {"exp_avg", "Adam or AdamW"}, {"square_avg", "RMSprop or Adadelta"},
      {"sum", "Adagrad"}, {"exp_inf", "Adamax"}};
  std::string keys, owner;
  for (const auto& e : first.toGenericDict()) {
    if (!e.key().isString()) continue;
    const std::string& k = e.key().toStringRef();
    keys += (keys.empty() ? "'" : ", '") + k + "'";
    for (const auto& [key, name] : kOwners)
      if (owner.empty() && k == key) owner = name;
  }
  if (keys.empty()) return "";
  return " (the checkpoint's optimizer state holds " + keys +
         (owner.empty() ? std::string() : ", as " + owner + " writes it") +
         ": was it saved with another optimizer? Resume with the optimizer that saved it)";
}

}  // namespace

void CheckpointConnector::restore_callbacks(const CheckpointFile& ckpt) {
  call_load_checkpoint(ckpt, true);  // Lightning: before the callbacks' own state
  const c10::IValue* saved = ckpt.find("callbacks");
  if (saved == nullptr || !saved->isGenericDict()) return;
  const auto& states = saved->toGenericDict();
  for (auto& cb : t_.c.callbacks) {
    auto it = states.find(c10::IValue(std::string(cb->state_key(cb.get()))));
    if (it == states.end()) continue;
    auto load = cb->load_state;
    if (load != nullptr) {
      load_plugin_state(cb.get(), load, it->value(), cb.label(), "load_state");
      continue;
    }
    auto load_json = cb->load_state_json;
    if (load_json == nullptr) {
      log::warning(cb.label(), ": the checkpoint has state for it, but it cannot load state");
      continue;
    }
    std::string text = ivalue_to_json(it->value()).dump();
    cb.check(load_json(cb.get(), text.c_str()), "load_state_json");
  }
}

void CheckpointConnector::restore_training_state(const CheckpointFile& ckpt) {
  // Lightning restores the precision plugin's state first (restore_precision_plugin_state).
  std::string precision_key = precision_state_key();
  if (const c10::IValue* state = ckpt.find(precision_key)) {
    auto load = t_.c.precision->load_state;
    if (load == nullptr)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  "checkpoint " + ckpt.name() + " holds precision state under '" + precision_key +
                      "', but " + t_.c.precision.label() + " cannot load state");
    load_plugin_state(t_.c.precision.get(), load, *state, t_.c.precision.label(), "load_state");
  }
  t_.fit_loop.restore(ckpt);  // where the saved run was
  last_default_checkpoint_step_ = t_.state.global_step;
  restore_optimizers(ckpt);
  // The strategy's own state last: it may replace this rank's weights and optimizer state.
  restore_strategy_state(ckpt);
  if (const c10::IValue* rng = ckpt.find("volt_rng_states"); rng != nullptr && rng->isGenericDict()) {
    auto it = rng->toGenericDict().find(c10::IValue(std::string("torch")));
    if (it != rng->toGenericDict().end() && it->value().isTensor()) {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(it->value().toTensor());
    }
  }
  log::info("Restored the training state from ", ckpt.name(), " (epoch ", t_.state.current_epoch,
            ", global step ", t_.state.global_step, ")");
}

// Optimizers, then their schedulers, in configure_optimizers order.
void CheckpointConnector::restore_optimizers(const CheckpointFile& ckpt) {
  std::vector<OptimizerSlot>& slots = t_.optimizers.slots();
  size_t scheduler_count = 0;
  for (const auto& slot : slots) scheduler_count += slot.scheduler != nullptr ? 1 : 0;
  size_t s = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    OptimizerSlot& slot = slots[i];
    const c10::IValue& state = list_entry(ckpt, "optimizer_states", slots.size(), i);
    bool can_load = slot.optimizer_fns.load_state != nullptr;
    // A sharding strategy keeps each rank's part (ABI 1.5).
    auto strategy_load = t_.c.strategy->load_optimizer_state;
    if (empty_dict(state) || !can_load) {
      log::warning(t_.c.module.label(), ": optimizer ", i, " state not restored (",
                   can_load ? "the checkpoint holds none" : "plugin built for ABI 1.0", ")");
    } else {
      try {
        if (strategy_load != nullptr)
          load_plugin_state(t_.c.strategy.get(),
                            [&](volt_strategy* st, const volt_state_view* view) {
                              return strategy_load(st, slot.optimizer, view);
                            },
                            state, t_.c.strategy.label(), "load_optimizer_state");
        else
          load_plugin_state(slot.optimizer, slot.optimizer_fns.load_state, state, t_.c.module.label(),
                            "optimizer load_state");
      } catch (const Error& e) {
        throw Error(e.code(), "checkpoint " + ckpt.name() + ": optimizer " + std::to_string(i) + ": " +
                                  e.what() + saved_optimizer_hint(state));
      }
    }
    if (slot.scheduler == nullptr) continue;
    const c10::IValue& sched = list_entry(ckpt, "lr_schedulers", scheduler_count, s++);
    if (slot.scheduler_fns.load_state != nullptr)
      load_plugin_state(slot.scheduler, slot.scheduler_fns.load_state, sched, t_.c.module.label(),
                   "lr_scheduler load_state");
  }
}

void CheckpointConnector::load_stage_weights(const std::optional<std::string>& ckpt_path) {
  if (auto ckpt = read_ckpt_path(ckpt_path)) {
    restore_weights(*ckpt);
    log::info("Loaded model weights from ", ckpt->name());
  }
}

}  // namespace volt::host
