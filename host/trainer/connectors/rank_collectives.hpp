// Collectives across the strategy's ranks, for the trainer (metrics with sync_dist, the stop
// vote, checkpoints) and for plugins (host->reduce, broadcast, all_gather, barrier). A
// strategy's reduce, broadcast and barrier may be NULL (ABI 1.8: one process); the values then
// come back as they are, and a strategy without them is refused once it runs several processes.
// Every rank calls each function, in the same order.
#pragma once

#include "trainer/boundary_vote.hpp"
#include "trainer/components.hpp"

#include <memory>
#include <string>

namespace volt::host {

class TrainerParts;

class RankCollectives {
 public:
  explicit RankCollectives(TrainerParts& t) : t_(t) {}

  // Refuses a strategy that runs several processes without reduce, broadcast and barrier.
  void check_strategy() const;
  // The strategy's all-reduce of `v`; a new tensor (v itself for one process).
  at::Tensor reduce(const at::Tensor& v, int32_t op);
  at::Tensor broadcast(const at::Tensor& v, int32_t src);
  // Every rank's `v`, stacked along a new first dimension.
  at::Tensor all_gather(const at::Tensor& v);
  void barrier(const char* name);
  // Rank `src`'s bytes on every rank (the others pass anything).
  std::string broadcast_bytes(const std::string& bytes, int32_t src);
  int64_t sum(int64_t x);
  // Starts a sum of `counts` over the ranks for the step-boundary vote.
  std::unique_ptr<PendingSum> start_request_sum(const RequestCounts& counts);

 private:
  TrainerParts& t_;
};

}  // namespace volt::host
