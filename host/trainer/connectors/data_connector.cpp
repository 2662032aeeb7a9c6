#include "trainer/connectors/data_connector.hpp"

#include "trainer/connectors/default_steps.hpp"
#include "trainer/trainer_parts.hpp"

#include <volt/sdk/core.hpp>

#include <algorithm>
#include <functional>

namespace volt::host {

namespace {

// Host capacity for tensors in one batch (datamodule get_batch).
constexpr size_t kMaxBatchTensors = 16;

}  // namespace

volt_loader_args DataConnector::loader_args(int32_t split, int64_t epoch) const {
  volt_loader_args la{};
  la.struct_size = volt::abi_size(&la);
  la.split = split;
  la.epoch = epoch;
  la.rank = t_.info.global_rank;
  la.world_size = t_.info.world_size;
  la.shuffle = VOLT_DEFAULT;
  return la;
}

int64_t DataConnector::available_batches(int32_t split) const {
  volt_loader_args la = loader_args(split, t_.state.current_epoch);
  int64_t n = 0;
  t_.c.data.check(t_.c.data->num_batches(t_.c.data.get(), &la, &n), "num_batches");
  return n;
}

void DataConnector::fetch_batch(int32_t split, int64_t epoch, int64_t index, HostBatch& out) {
  const DataModuleInstance& data = t_.c.data;
  volt_loader_args la = loader_args(split, epoch);
  volt_dl_managed_tensor* tensors[kMaxBatchTensors] = {};
  size_t count = 0;
  data.check(data->get_batch(data.get(), &la, index, tensors, kMaxBatchTensors, &count), "get_batch");
  out.clear();
  size_t n = std::min(count, kMaxBatchTensors);
  for (size_t i = 0; i < n; ++i) {
    try {
      out.push(volt::from_dlpack(tensors[i]));  // takes tensors[i], also when it throws
    } catch (const Error& e) {
      for (size_t j = i + 1; j < n; ++j)  // the rest are still the host's to return
        if (tensors[j] != nullptr && tensors[j]->deleter != nullptr) tensors[j]->deleter(tensors[j]);
      throw Error(e.code(), data.label() + ": get_batch: " + e.what());
    }
  }
  transfer(out);
  const PrecisionInstance& precision = t_.c.precision;
  precision.check(precision->convert_input(precision.get(), out.data(), out.size()), "convert_input");
  t_.state.current_batch_size = out.batch_size();
}

void DataConnector::transfer(HostBatch& batch) {
  HookDispatcher& hooks = t_.hooks;
  bool before = hooks.module_implements(VOLT_HOOK_ON_BEFORE_BATCH_TRANSFER);
  bool after = hooks.module_implements(VOLT_HOOK_ON_AFTER_BATCH_TRANSFER);
  bool own = hooks.module_replaces(VOLT_HOOK_TRANSFER_BATCH_TO_DEVICE);
  const StrategyInstance& strategy = t_.c.strategy;
  auto strategy_transfer = [&] {
    strategy.check(strategy->batch_to_device(strategy.get(), batch.data(), batch.size()),
                   "batch_to_device");
  };
  if (!before && !after && !own) return strategy_transfer();  // no std::function per step
  std::function<void()> to_device = strategy_transfer;
  auto run = [&](int32_t hook, const std::function<void()>* step) {
    DefaultSteps d;
    d.run = step;
    d.batch = &batch;
    volt_hook_args a{};
    d.attach(a, hook);
    a.batch = batch.data();
    a.batch_len = batch.size();
    a.device = t_.root_device.c_str();
    hooks.call_module_hook(hook, a);
  };
  if (before) run(VOLT_HOOK_ON_BEFORE_BATCH_TRANSFER, nullptr);
  if (own) run(VOLT_HOOK_TRANSFER_BATCH_TO_DEVICE, &to_device);
  else to_device();
  if (after) run(VOLT_HOOK_ON_AFTER_BATCH_TRANSFER, nullptr);
}

}  // namespace volt::host
