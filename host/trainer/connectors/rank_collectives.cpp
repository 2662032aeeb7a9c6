#include "trainer/connectors/rank_collectives.hpp"

#include "runtime/log.hpp"
#include "trainer/trainer_parts.hpp"

#include <volt/sdk/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace volt::host {

namespace {

// Releases a new reference a strategy returned, keeping its tensor.
at::Tensor take(volt_tensor* t) {
  at::Tensor r = volt::unwrap(t);
  volt::release_ref(t);
  return r;
}

// The counts of a boundary-vote sum a plugin returned, releasing the reference.
RequestCounts take_counts(volt_tensor* t, const std::string& strategy) {
  at::Tensor sum = take(t).to(at::kCPU, at::kDouble).contiguous();
  RequestCounts counts{};
  if (sum.numel() != static_cast<int64_t>(counts.size()))
    throw Error(VOLT_ERROR_INTERNAL, strategy + ": reduce returned " + std::to_string(sum.numel()) +
                                         " values for " + std::to_string(counts.size()));
  std::copy_n(sum.data_ptr<double>(), counts.size(), counts.begin());
  return counts;
}

// A boundary-vote sum in flight in the strategy (ABI 1.4 start_reduce / finish_reduce).
class StrategyPendingSum final : public PendingSum {
 public:
  using Finish = decltype(volt_strategy::finish_reduce);
  StrategyPendingSum(const StrategyInstance& strategy, Finish finish, volt_pending_reduce* pending)
      : strategy_(strategy), finish_(finish), pending_(pending) {}
  ~StrategyPendingSum() override {
    if (pending_ == nullptr) return;
    try {  // given up without waiting
      strategy_.check(finish_(strategy_.get(), pending_, nullptr), "finish_reduce");
    } catch (const std::exception& e) {
      log::warning(e.what());
    }
  }
  RequestCounts wait() override {
    volt_tensor* out = nullptr;
    strategy_.check(finish_(strategy_.get(), std::exchange(pending_, nullptr), &out), "finish_reduce");
    return take_counts(out, strategy_.label());
  }

 private:
  const StrategyInstance& strategy_;
  Finish finish_;
  volt_pending_reduce* pending_;
};

// A strategy older than ABI 1.4 sums before the vote goes on.
class FinishedSum final : public PendingSum {
 public:
  explicit FinishedSum(const RequestCounts& sum) : sum_(sum) {}
  RequestCounts wait() override { return sum_; }

 private:
  RequestCounts sum_;
};

}  // namespace

void RankCollectives::check_strategy() const {
  if (t_.info.world_size <= 1) return;
  const StrategyInstance& strategy = t_.c.strategy;
  std::string missing;
  auto note = [&](bool present, const char* name) {
    if (!present) missing += std::string(missing.empty() ? "" : ", ") + name;
  };
  note(strategy->reduce != nullptr, "reduce");
  note(strategy->broadcast != nullptr, "broadcast");
  note(strategy->barrier != nullptr, "barrier");
  if (missing.empty()) return;
  throw Error(VOLT_ERROR_FAILED_PRECONDITION,
              strategy.label() + " runs " + std::to_string(t_.info.world_size) +
                  " processes but does not implement " + missing +
                  ": without them self.log(sync_dist=True), the stop decisions and checkpoints "
                  "would be each rank's own. A multi-process strategy overrides them (C++: "
                  "derive from volt::distributed::DataParallelStrategy, docs/guides/strategy.md)");
}

at::Tensor RankCollectives::reduce(const at::Tensor& v, int32_t op) {
  const StrategyInstance& strategy = t_.c.strategy;
  if (strategy->reduce == nullptr) return v;
  volt_tensor* out = nullptr;
  strategy.check(strategy->reduce(strategy.get(), volt::borrow(v), op, &out), "reduce");
  return take(out);
}

at::Tensor RankCollectives::broadcast(const at::Tensor& v, int32_t src) {
  if (src < 0 || src >= t_.info.world_size)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, "broadcast: source rank " + std::to_string(src) +
                                                 " is not one of the " +
                                                 std::to_string(t_.info.world_size) + " ranks");
  const StrategyInstance& strategy = t_.c.strategy;
  auto fn = strategy->broadcast;
  if (fn == nullptr) return v;
  volt_tensor* out = nullptr;
  strategy.check(fn(strategy.get(), volt::borrow(v), src, &out), "broadcast");
  return take(out);
}

at::Tensor RankCollectives::all_gather(const at::Tensor& v) {
  if (t_.info.world_size <= 1) return v.detach().unsqueeze(0);
  const StrategyInstance& strategy = t_.c.strategy;
  auto gather = strategy->all_gather;
  if (gather != nullptr) {
    volt_tensor* out = nullptr;
    strategy.check(gather(strategy.get(), volt::borrow(v), &out), "all_gather");
    return take(out);
  }
  std::vector<at::Tensor> parts;
  for (int32_t r = 0; r < t_.info.world_size; ++r) parts.push_back(broadcast(v, r));
  return at::stack(parts);
}

void RankCollectives::barrier(const char* name) {
  const StrategyInstance& strategy = t_.c.strategy;
  if (strategy->barrier == nullptr) return;
  strategy.check(strategy->barrier(strategy.get(), name), "barrier");
}

std::string RankCollectives::broadcast_bytes(const std::string& bytes, int32_t src) {
  auto on_device = at::TensorOptions().dtype(at::kLong).device(t_.root_device);
  bool sender = t_.info.global_rank == src;
  int64_t len =
      broadcast(at::full({1}, static_cast<int64_t>(sender ? bytes.size() : 0), on_device), src)
          .to(at::kCPU)
          .item<int64_t>();
  at::Tensor data = at::zeros({len}, at::kByte);
  if (sender && len > 0) std::memcpy(data.data_ptr(), bytes.data(), static_cast<size_t>(len));
  at::Tensor got = broadcast(data.to(t_.root_device), src).to(at::kCPU).contiguous();
  return std::string(static_cast<const char*>(got.data_ptr()), static_cast<size_t>(len));
}

int64_t RankCollectives::sum(int64_t x) {
  at::Tensor v = at::full({1}, static_cast<double>(x),
                          at::TensorOptions(at::kDouble).device(t_.root_device));
  return std::llround(reduce(v, VOLT_REDUCE_SUM).to(at::kCPU).item<double>());
}

std::unique_ptr<PendingSum> RankCollectives::start_request_sum(const RequestCounts& counts) {
  const StrategyInstance& strategy = t_.c.strategy;
  at::Tensor values = at::tensor(at::ArrayRef<double>(counts.data(), counts.size()))
                          .to(at::TensorOptions().dtype(at::kFloat).device(t_.root_device));
  auto start = strategy->start_reduce;
  auto finish = strategy->finish_reduce;
  if (start == nullptr || finish == nullptr)
    return std::make_unique<FinishedSum>(
        take_counts(volt::new_ref(reduce(values, VOLT_REDUCE_SUM)), strategy.label()));
  volt_pending_reduce* pending = nullptr;
  strategy.check(start(strategy.get(), volt::borrow(values), VOLT_REDUCE_SUM, &pending),
                 "start_reduce");
  return std::make_unique<StrategyPendingSum>(strategy, finish, pending);
}

}  // namespace volt::host
