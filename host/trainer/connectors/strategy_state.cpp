// A strategy's own state in checkpoints (ABI 1.8). Each rank's
// save_state is gathered to every rank (so that rank 0 writes them all into one file, and each
// rank's part of a sharded checkpoint carries them too) and stored as
// checkpoint["volt_strategy_states"][rank]; on resume each rank gets its own entry back.
#include "trainer/connectors/checkpoint_connector.hpp"

#include "runtime/log.hpp"
#include "trainer/plugin_state.hpp"
#include "trainer/trainer_parts.hpp"

#include <torch/serialize.h>

namespace volt::host {

namespace {

constexpr const char* kStrategyStatesKey = "volt_strategy_states";

bool empty_state(const c10::IValue& v) {
  return v.isNone() || (v.isGenericDict() && v.toGenericDict().empty());
}

}  // namespace

std::optional<c10::IValue> CheckpointConnector::gather_strategy_states() {
  auto save = t_.c.strategy->save_state;
  if (save == nullptr) return std::nullopt;
  c10::IValue mine = plugin_state(t_.c.strategy.get(), save, t_.c.strategy.label(), "save_state");
  c10::impl::GenericList states(c10::AnyType::get());
  bool any = !empty_state(mine);
  if (t_.info.world_size <= 1) {
    states.push_back(mine);
  } else {
    // One rank after another: each state travels as the bytes torch.save would write.
    std::vector<char> bytes = torch::pickle_save(mine);
    const std::string own(bytes.begin(), bytes.end());
    for (int32_t r = 0; r < t_.info.world_size; ++r) {
      std::string got = t_.ranks.broadcast_bytes(own, r);  // only rank r's bytes are sent
      if (r == t_.info.global_rank) {
        states.push_back(mine);
        continue;
      }
      c10::IValue state = torch::pickle_load(std::vector<char>(got.begin(), got.end()));
      any = any || !empty_state(state);
      states.push_back(state);
    }
  }
  if (!any) return std::nullopt;  // Lightning keeps empty states out of checkpoints too
  return c10::IValue(states);
}

void CheckpointConnector::restore_strategy_state(const CheckpointFile& ckpt) {
  const c10::IValue* saved = ckpt.find(kStrategyStatesKey);
  if (saved == nullptr) return;
  if (!saved->isList())
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, "checkpoint " + ckpt.name() + ": '" +
                                                 kStrategyStatesKey + "' is not a list");
  auto load = t_.c.strategy->load_state;
  if (load == nullptr) {
    log::warning(t_.c.strategy.label(), ": checkpoint ", ckpt.name(),
                 " holds a strategy's per-rank state, which this strategy cannot load; each "
                 "rank continues from the checkpoint's model and optimizer state");
    return;
  }
  const auto& states = saved->toListRef();
  if (static_cast<int64_t>(states.size()) != t_.info.world_size)
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                "checkpoint " + ckpt.name() + " holds the strategy state of " +
                    std::to_string(states.size()) + " ranks, but " + t_.c.strategy.label() +
                    " runs " + std::to_string(t_.info.world_size) +
                    ": resume with the same number of processes");
  load_plugin_state(t_.c.strategy.get(), load, states[static_cast<size_t>(t_.info.global_rank)],
                    t_.c.strategy.label(), "load_state");
}

}  // namespace volt::host
