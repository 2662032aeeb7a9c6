// Collectives across the strategy's ranks, for the trainer (metrics with sync_dist, the
// stop vote, checkpoints) and for plugins (host->reduce, broadcast, all_gather, barrier).
// A strategy's reduce, broadcast and barrier may be NULL (ABI 1.8: one process); the host
// then gives the values back, and refuses the strategy once it runs several processes.
#include "trainer/trainer.hpp"

#include <volt/sdk/core.hpp>

#include <cstring>

namespace volt::host {

namespace {

// Releases a new reference a strategy returned, keeping its tensor.
at::Tensor take(volt_tensor* t) {
  at::Tensor r = volt::unwrap(t);
  volt::release_ref(t);
  return r;
}

}  // namespace

void Trainer::check_strategy_collectives() const {
  if (info_.world_size <= 1) return;
  std::string missing;
  auto note = [&](bool present, const char* name) {
    if (!present) missing += std::string(missing.empty() ? "" : ", ") + name;
  };
  note(c_.strategy->reduce != nullptr, "reduce");
  note(c_.strategy->broadcast != nullptr, "broadcast");
  note(c_.strategy->barrier != nullptr, "barrier");
  if (missing.empty()) return;
  throw Error(VOLT_ERROR_FAILED_PRECONDITION,
              c_.strategy.label() + " runs " + std::to_string(info_.world_size) +
                  " processes but does not implement " + missing +
                  ": without them self.log(sync_dist=True), the stop decisions and checkpoints "
                  "would be each rank's own. A multi-process strategy overrides them (C++: "
                  "derive from volt::distributed::DataParallelStrategy, docs/guides/strategy.md)");
}

at::Tensor Trainer::reduce_over_ranks(const at::Tensor& v, int32_t op) {
  if (c_.strategy->reduce == nullptr) return v;
  volt_tensor* out = nullptr;
  c_.strategy.check(c_.strategy->reduce(c_.strategy.get(), volt::borrow(v), op, &out), "reduce");
  return take(out);
}

at::Tensor Trainer::broadcast_over_ranks(const at::Tensor& v, int32_t src) {
  if (src < 0 || src >= info_.world_size)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, "broadcast: source rank " + std::to_string(src) +
                                                 " is not one of the " +
                                                 std::to_string(info_.world_size) + " ranks");
  auto broadcast = c_.strategy->broadcast;
  if (broadcast == nullptr) return v;
  volt_tensor* out = nullptr;
  c_.strategy.check(broadcast(c_.strategy.get(), volt::borrow(v), src, &out), "broadcast");
  return take(out);
}

at::Tensor Trainer::all_gather_over_ranks(const at::Tensor& v) {
  if (info_.world_size <= 1) return v.detach().unsqueeze(0);
  auto gather = c_.strategy->all_gather;
  if (gather != nullptr) {
    volt_tensor* out = nullptr;
    c_.strategy.check(gather(c_.strategy.get(), volt::borrow(v), &out), "all_gather");
    return take(out);
  }
  std::vector<at::Tensor> parts;
  for (int32_t r = 0; r < info_.world_size; ++r) parts.push_back(broadcast_over_ranks(v, r));
  return at::stack(parts);
}

void Trainer::barrier(const char* name) {
  if (c_.strategy->barrier == nullptr) return;
  c_.strategy.check(c_.strategy->barrier(c_.strategy.get(), name), "barrier");
}

std::string Trainer::broadcast_bytes(const std::string& bytes, int32_t src) {
  auto on_device = at::TensorOptions().dtype(at::kLong).device(root_device_);
  bool sender = info_.global_rank == src;
  int64_t len = broadcast_over_ranks(at::full({1}, static_cast<int64_t>(sender ? bytes.size() : 0), on_device), src)
                    .to(at::kCPU)
                    .item<int64_t>();
  at::Tensor data = at::zeros({len}, at::kByte);
  if (sender && len > 0) std::memcpy(data.data_ptr(), bytes.data(), static_cast<size_t>(len));
  at::Tensor got = broadcast_over_ranks(data.to(root_device_), src).to(at::kCPU).contiguous();
  return std::string(static_cast<const char*>(got.data_ptr()), static_cast<size_t>(len));
}

void Trainer::share_log_dir() { log_dir_ = broadcast_bytes(log_dir_, 0); }

// --- for plugins (host->reduce, broadcast, all_gather, barrier) ------------------------------

volt_tensor* Trainer::rank_reduce(volt_tensor* t, int32_t op) {
  if (op < VOLT_REDUCE_MEAN || op > VOLT_REDUCE_MIN)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, "reduce: unknown operation " + std::to_string(op));
  const at::Tensor& v = volt::unwrap(t);
  return volt::new_ref(reduce_over_ranks(v.detach().to(root_device_), op));
}

volt_tensor* Trainer::rank_broadcast(volt_tensor* t, int32_t src) {
  return volt::new_ref(broadcast_over_ranks(volt::unwrap(t).detach().to(root_device_), src));
}

volt_tensor* Trainer::rank_all_gather(volt_tensor* t) {
  return volt::new_ref(all_gather_over_ranks(volt::unwrap(t).detach().to(root_device_)));
}

void Trainer::rank_barrier(const std::string& name) { barrier(name.c_str()); }

}  // namespace volt::host
