// Writing checkpoints: Lightning's dump_checkpoint (lightning.md section 7), trainer.
// save_checkpoint (host->save_checkpoint), and the default checkpointing of
// enable_checkpointing (Lightning's implicit ModelCheckpoint: after every training epoch, into
// <log_dir>/checkpoints/epoch={E}-step={S}.ckpt, keeping only the latest).
#include "trainer/trainer.hpp"

#include "checkpoint/sharded_checkpoint.hpp"
#include "checkpoint/state_dict.hpp"
#include "trainer/plugin_state.hpp"
#include "runtime/log.hpp"

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

c10::impl::GenericDict Trainer::dump_checkpoint(bool weights_only, bool sharded) {
  Dict ck = new_dict();
  ck.insert("epoch", current_epoch_);
  ck.insert("global_step", global_step_);
  ck.insert("pytorch-lightning_version", std::string(kLightningFormatVersion));
  ck.insert("volt_version", std::string(VOLT_SDK_VERSION));

  if (sharded) {
    // This rank's part (ABI 1.6): tensors it holds whole, and shard entries.
    auto shard = c_.strategy->module_state_shard;
    if (shard == nullptr)
      throw Error(VOLT_ERROR_UNIMPLEMENTED, c_.strategy.label() +
                                                " saves sharded checkpoints but has no module_state_shard");
    ck.insert("state_dict", plugin_state(c_.strategy.get(),
                                         [&](volt_strategy* st, const volt_state_sink* sink) {
                                           return shard(st, c_.module.get(), sink);
                                         },
                                         c_.strategy.label(), "module_state_shard"));
  } else {
    NamedTensors state;
    c_.strategy.check(c_.strategy->module_state(
                          c_.strategy.get(), c_.module.get(),
                          [](void* ctx, const char* name, volt_tensor* t) {
                            static_cast<NamedTensors*>(ctx)->emplace_back(name, volt::unwrap(t));
                          },
                          &state),
                      "module_state");
    ck.insert("state_dict", state_dict_of(state));
  }

  FitProgress loops = progress_;
  loops.batches_that_stepped = batches_that_stepped_;
  ck.insert("loops", loops_to_ivalue(loops));

  if (!weights_only) {
    Dict callbacks = new_dict();
    for (auto& cb : c_.callbacks) {
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
    auto save_precision = c_.precision->save_state;
    if (save_precision != nullptr) {
      c10::IValue state = plugin_state(c_.precision.get(), save_precision, c_.precision.label(),
                                       "save_state");
      if (state.isGenericDict() && !state.toGenericDict().empty())
        ck.insert(precision_state_key(), state);
    }

    c10::impl::GenericList optimizers(c10::AnyType::get());
    c10::impl::GenericList schedulers(c10::AnyType::get());
    // A sharding strategy gathers the shards (ABI 1.5; every rank takes part), or gives this
    // rank's part for a sharded checkpoint (ABI 1.6).
    auto strategy_state =
        sharded ? c_.strategy->optimizer_state_shard
                : c_.strategy->optimizer_state;
    const char* strategy_state_name = sharded ? "optimizer_state_shard" : "optimizer_state";
    // A shard without its pieces marked would be consolidated from rank 0's part alone.
    if (sharded && strategy_state == nullptr && !optimizers_.empty())
      throw Error(VOLT_ERROR_UNIMPLEMENTED, c_.strategy.label() +
                                                " saves sharded checkpoints but has no optimizer_state_shard");
    for (auto& slot : optimizers_) {
      if (slot.optimizer_fns.save_state != nullptr) {
        if (strategy_state != nullptr)
          optimizers.push_back(plugin_state(
              c_.strategy.get(),
              [&](volt_strategy* st, const volt_state_sink* sink) {
                return strategy_state(st, slot.optimizer, sink);
              },
              c_.strategy.label(), strategy_state_name));
        else
          optimizers.push_back(plugin_state(slot.optimizer, slot.optimizer_fns.save_state,
                                             c_.module.label(), "optimizer save_state"));
      } else {
        log::warning(c_.module.label(),
                     ": the optimizer cannot save its state (plugin built for ABI 1.0); the "
                     "checkpoint holds an empty state for it");
        optimizers.push_back(new_dict());
      }
      if (slot.scheduler == nullptr) continue;
      if (slot.scheduler_fns.save_state != nullptr)
        schedulers.push_back(plugin_state(slot.scheduler, slot.scheduler_fns.save_state,
                                           c_.module.label(), "lr_scheduler save_state"));
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

  if (auto hp = hparams_of(c_.module->hparams_json(c_.module.get()))) {
    ck.insert("hparams_name", std::string("kwargs"));
    ck.insert("hyper_parameters", *hp);
  }
  auto data_hp = c_.data->hparams_json;
  if (data_hp != nullptr)
    if (auto hp = hparams_of(data_hp(c_.data.get()))) {
      ck.insert("datamodule_hparams_name", std::string("kwargs"));
      ck.insert("datamodule_hyper_parameters", *hp);
    }
  add_checkpoint_keys(ck, weights_only);
  return ck;
}

bool Trainer::saves_sharded() const {
  auto sharded = c_.strategy->saves_sharded;
  return sharded != nullptr && sharded(c_.strategy.get());
}

int64_t Trainer::sum_over_ranks(int64_t x) {
  at::Tensor v = at::full({1}, static_cast<double>(x), at::TensorOptions(at::kDouble).device(root_device_));
  return std::llround(reduce_over_ranks(v, VOLT_REDUCE_SUM).to(at::kCPU).item<double>());
}

void Trainer::save_checkpoint(const std::string& path, bool weights_only) {
  if (saves_sharded()) {
    // Every rank writes its part into the checkpoint's folder (sharded_checkpoint.hpp).
    Dict ck = dump_checkpoint(weights_only, true);
    save_sharded_checkpoint(path, info_.global_rank, info_.world_size, ck,
                            [this](int64_t x) { return sum_over_ranks(x); });
    return;
  }
  Dict ck = dump_checkpoint(weights_only, false);  // every rank: a sharding strategy gathers here
  if (info_.global_rank == 0) save_checkpoint_file(path, ck);
  barrier("Trainer.save_checkpoint");
}

bool Trainer::default_checkpointing() const {
  if (!options_.enable_checkpointing || options_.fast_dev_run > 0) return false;
  // Lightning adds the default ModelCheckpoint only when the user configured none.
  return !has_callback("model_checkpoint");
}

void Trainer::save_default_checkpoint() {
  if (!default_checkpointing() || global_step_ == last_default_checkpoint_step_) return;
  fs::path dir = checkpoint_dir();
  fs::path path = dir / ("epoch=" + std::to_string(current_epoch_) +
                         "-step=" + std::to_string(global_step_) + ".ckpt");
  save_checkpoint(path.string(), false);
  // save_top_k=1 without a monitor keeps only the latest, removed after the new one exists
  // (a file, or a sharded checkpoint's folder).
  if (info_.global_rank == 0 && !last_default_checkpoint_.empty() &&
      last_default_checkpoint_ != path.string()) {
    std::error_code ec;
    fs::remove_all(last_default_checkpoint_, ec);
  }
  last_default_checkpoint_ = path.string();
  last_default_checkpoint_step_ = global_step_;
  log::debug("checkpoint saved to ", path.string());
}

}  // namespace volt::host
