// Writing checkpoints: Lightning's dump_checkpoint (lightning.md section 7), trainer.
// save_checkpoint (host->save_checkpoint), and the default checkpointing.
#include "trainer/connectors/checkpoint_connector.hpp"

#include "checkpoint/sharded_checkpoint.hpp"
#include "checkpoint/state_dict.hpp"
#include "trainer/plugin_state.hpp"
#include "runtime/log.hpp"
#include "trainer/trainer_parts.hpp"

#include <volt/sdk/ivalue_json.hpp>
#include <volt/sdk/state_codec.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <filesystem>

namespace volt::host {

namespace fs = std::filesystem;

namespace {

using Dict = c10::impl::GenericDict;

Dict new_dict() { return Dict(c10::StringType::get(), c10::AnyType::get()); }

// Hyper-parameters JSON -> dict; nothing for "{}" (Lightning writes the keys only when set).
std::optional<c10::IValue> hparams_of(const char* json) {
  if (json == nullptr) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(json);
  if (!j.is_object() || j.empty()) return std::nullopt;
  return json_to_ivalue(j);
}

}  // namespace

c10::impl::GenericDict CheckpointConnector::dump_checkpoint(bool weights_only, bool sharded) {
  Dict ck = new_dict();
  ck.insert("epoch", t_.state.current_epoch);
  ck.insert("global_step", t_.state.global_step);
  ck.insert("pytorch-lightning_version", std::string(kLightningFormatVersion));
  ck.insert("volt_version", std::string(VOLT_SDK_VERSION));

  if (sharded) {
    // This rank's part (ABI 1.6): tensors it holds whole, and shard entries.
    auto shard = t_.c.strategy->module_state_shard;
    if (shard == nullptr)
      throw Error(VOLT_ERROR_UNIMPLEMENTED, t_.c.strategy.label() +
                                                " saves sharded checkpoints but has no module_state_shard");
    ck.insert("state_dict", plugin_state(t_.c.strategy.get(),
                                         [&](volt_strategy* st, const volt_state_sink* sink) {
                                           return shard(st, t_.c.module.get(), sink);
                                         },
                                         t_.c.strategy.label(), "module_state_shard"));
  } else {
    NamedTensors state;
    t_.c.strategy.check(t_.c.strategy->module_state(
                          t_.c.strategy.get(), t_.c.module.get(),
                          [](void* ctx, const char* name, volt_tensor* t) {
                            static_cast<NamedTensors*>(ctx)->emplace_back(name, volt::unwrap(t));
                          },
                          &state),
                      "module_state");
    ck.insert("state_dict", state_dict_of(state));
  }

  ck.insert("loops", loops_to_ivalue(t_.fit_loop.progress_to_save()));
  if (!weights_only) dump_training_state(ck, sharded);

  if (auto hp = hparams_of(t_.c.module->hparams_json(t_.c.module.get()))) {
    ck.insert("hparams_name", std::string("kwargs"));
    ck.insert("hyper_parameters", *hp);
  }
  auto data_hp = t_.c.data->hparams_json;
  if (data_hp != nullptr)
    if (auto hp = hparams_of(data_hp(t_.c.data.get()))) {
      ck.insert("datamodule_hparams_name", std::string("kwargs"));
      ck.insert("datamodule_hyper_parameters", *hp);
    }
  add_checkpoint_keys(ck, weights_only);
  return ck;
}

// The callbacks', the precision plugin's, the optimizers', the schedulers' and the strategy's
// state, and the CPU generator.
void CheckpointConnector::dump_training_state(Dict& ck, bool sharded) {
  {
    Dict callbacks = new_dict();
    for (auto& cb : t_.c.callbacks) {
      c10::IValue state;
      auto save = cb->save_state;
      auto state_json = cb->state_json;
      if (save != nullptr) {
        state = plugin_state(cb.get(), save, cb.label(), "save_state");
      } else if (state_json != nullptr) {
        const char* text = state_json(cb.get());
        state = json_to_ivalue(nlohmann::json::parse(text != nullptr ? text : "{}"));
      }
      // Lightning stores non-empty states only.
      if (!state.isGenericDict() || state.toGenericDict().empty()) continue;
      std::string key = cb->state_key(cb.get());
      if (callbacks.contains(key))
        throw Error(VOLT_ERROR_ALREADY_EXISTS,
                    "two callbacks save their state under the key '" + key +
                        "'; give one of them another state_key");
      callbacks.insert(key, state);
    }
    ck.insert("callbacks", callbacks);

    // Lightning: checkpoint[type(precision_plugin).__qualname__] = its state_dict, when not empty.
    auto save_precision = t_.c.precision->save_state;
    if (save_precision != nullptr) {
      c10::IValue state = plugin_state(t_.c.precision.get(), save_precision, t_.c.precision.label(),
                                       "save_state");
      if (state.isGenericDict() && !state.toGenericDict().empty())
        ck.insert(precision_state_key(), state);
    }

    c10::impl::GenericList optimizers(c10::AnyType::get());
    c10::impl::GenericList schedulers(c10::AnyType::get());
    // A sharding strategy gathers the shards (ABI 1.5; every rank takes part), or gives this
    // rank's part for a sharded checkpoint (ABI 1.6).
    auto strategy_state =
        sharded ? t_.c.strategy->optimizer_state_shard
                : t_.c.strategy->optimizer_state;
    const char* strategy_state_name = sharded ? "optimizer_state_shard" : "optimizer_state";
    // A shard without its pieces marked would be consolidated from rank 0's part alone.
    if (sharded && strategy_state == nullptr && !t_.optimizers.slots().empty())
      throw Error(VOLT_ERROR_UNIMPLEMENTED, t_.c.strategy.label() +
                                                " saves sharded checkpoints but has no optimizer_state_shard");
    for (auto& slot : t_.optimizers.slots()) {
      if (slot.optimizer_fns.save_state != nullptr) {
        if (strategy_state != nullptr)
          optimizers.push_back(plugin_state(
              t_.c.strategy.get(),
              [&](volt_strategy* st, const volt_state_sink* sink) {
                return strategy_state(st, slot.optimizer, sink);
              },
              t_.c.strategy.label(), strategy_state_name));
        else
          optimizers.push_back(plugin_state(slot.optimizer, slot.optimizer_fns.save_state,
                                             t_.c.module.label(), "optimizer save_state"));
      } else {
        log::warning(t_.c.module.label(),
                     ": the optimizer cannot save its state (plugin built for ABI 1.0); the "
                     "checkpoint holds an empty state for it");
        optimizers.push_back(new_dict());
      }
      if (slot.scheduler == nullptr) continue;
      if (slot.scheduler_fns.save_state != nullptr)
        schedulers.push_back(plugin_state(slot.scheduler, slot.scheduler_fns.save_state,
                                           t_.c.module.label(), "lr_scheduler save_state"));
      else
        schedulers.push_back(new_dict());
    }
    ck.insert("optimizer_states", optimizers);
    ck.insert("lr_schedulers", schedulers);
    if (auto states = gather_strategy_states()) ck.insert("volt_strategy_states", *states);
    // Beyond Lightning: the CPU generator, so that dropout and friends continue identically.
    Dict rng = new_dict();
    rng.insert("torch", at::detail::getDefaultCPUGenerator().get_state());
    ck.insert("volt_rng_states", rng);
  }
}

std::string CheckpointConnector::precision_state_key() const {
  auto key = t_.c.precision->state_key;
  const char* text = key != nullptr ? key(t_.c.precision.get()) : nullptr;
  return text != nullptr && *text != '\0' ? text : "PrecisionPlugin";
}

fs::path CheckpointConnector::root_dir() const {
  return t_.options.default_root_dir.empty() ? fs::current_path()
                                             : fs::path(t_.options.default_root_dir);
}

fs::path CheckpointConnector::checkpoint_dir() const {
  return !t_.log_dir.empty() ? fs::path(t_.log_dir) / "checkpoints" : root_dir() / "checkpoints";
}

bool CheckpointConnector::saves_sharded() const {
  auto sharded = t_.c.strategy->saves_sharded;
  return sharded != nullptr && sharded(t_.c.strategy.get());
}

void CheckpointConnector::save_checkpoint(const std::string& path, bool weights_only) {
  if (saves_sharded()) {
    // Every rank writes its part into the checkpoint's folder (sharded_checkpoint.hpp).
    Dict ck = dump_checkpoint(weights_only, true);
    save_sharded_checkpoint(path, t_.info.global_rank, t_.info.world_size, ck,
                            [this](int64_t x) { return t_.ranks.sum(x); });
    return;
  }
  Dict ck = dump_checkpoint(weights_only, false);  // every rank: a sharding strategy gathers here
  if (t_.info.global_rank == 0) save_checkpoint_file(path, ck);
  t_.ranks.barrier("Trainer.save_checkpoint");
}

bool CheckpointConnector::default_checkpointing() const {
  if (!t_.options.enable_checkpointing || t_.options.fast_dev_run > 0) return false;
  // Lightning adds the default ModelCheckpoint only when the user configured none.
  return !t_.hooks.has_callback("model_checkpoint");
}

void CheckpointConnector::save_default_checkpoint() {
  if (!default_checkpointing() || t_.state.global_step == last_default_checkpoint_step_) return;
  fs::path dir = checkpoint_dir();
  fs::path path = dir / ("epoch=" + std::to_string(t_.state.current_epoch) +
                         "-step=" + std::to_string(t_.state.global_step) + ".ckpt");
  save_checkpoint(path.string(), false);
  // save_top_k=1 without a monitor keeps only the latest, removed after the new one exists
  // (a file, or a sharded checkpoint's folder).
  if (t_.info.global_rank == 0 && !last_default_checkpoint_.empty() &&
      last_default_checkpoint_ != path.string()) {
    std::error_code ec;
    fs::remove_all(last_default_checkpoint_, ec);
  }
  last_default_checkpoint_ = path.string();
  last_default_checkpoint_step_ = t_.state.global_step;
  log::debug("checkpoint saved to ", path.string());
}

}  // namespace volt::host
