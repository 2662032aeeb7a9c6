#include "trainer/boundary_vote.hpp"

#include <utility>

namespace volt::host {

namespace {

RequestCounts counts_of(uint32_t requests) {
  RequestCounts c{};
  c[0] = requests != 0 ? 1.0 : 0.0;
  for (size_t k = 0; k < kRequestKinds; ++k) c[k + 1] = (requests >> k) & 1u ? 1.0 : 0.0;
  return c;
}

uint32_t kinds_of(const RequestCounts& c) {
  uint32_t requests = 0;
  for (size_t k = 0; k < kRequestKinds; ++k)
    if (c[k + 1] > 0.5) requests |= 1u << k;
  return requests;
}

}  // namespace

BoundaryVote::BoundaryVote(int32_t world_size, StartSum start)
    : world_size_(world_size), start_(std::move(start)) {}

uint32_t BoundaryVote::at_step_boundary(uint32_t requests) {
  if (world_size_ <= 1) return requests;
  if (deferred_ != 0) return std::exchange(deferred_, 0u);
  if (pending_) {
    RequestCounts previous = pending_->wait();
    pending_.reset();
    if (previous[0] > 0.5) return kinds_of(previous);
  }
  pending_ = start_(counts_of(requests));
  if (requests == 0) return 0;
  RequestCounts now = pending_->wait();
  pending_.reset();
  if (now[0] > world_size_ - 0.5) return kinds_of(now);
  deferred_ = kinds_of(now);  // the others learn of it at the next boundary
  return 0;
}

uint32_t BoundaryVote::drain() {
  uint32_t requests = std::exchange(deferred_, 0u);
  if (pending_) {
    std::unique_ptr<PendingSum> pending = std::move(pending_);
    requests |= kinds_of(pending->wait());
  }
  return requests;
}

uint32_t BoundaryVote::settle(uint32_t requests) {
  requests |= drain();
  if (world_size_ <= 1) return requests;
  return kinds_of(start_(counts_of(requests))->wait());
}

}  // namespace volt::host
