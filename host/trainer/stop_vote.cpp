#include "trainer/stop_vote.hpp"

#include <utility>

namespace volt::host {

StepStopVote::StepStopVote(int32_t world_size, StartSum start)
    : world_size_(world_size), start_(std::move(start)) {}

bool StepStopVote::at_step_boundary(bool wish) {
  if (world_size_ <= 1) return wish;
  if (stop_at_next_boundary_) {
    stop_at_next_boundary_ = false;
    return true;
  }
  if (pending_) {
    double previous = pending_->wait();
    pending_.reset();
    if (previous > 0) return true;
  }
  pending_ = start_(wish ? 1.0 : 0.0);
  if (!wish) return false;
  double sum = pending_->wait();
  pending_.reset();
  if (sum >= world_size_) return true;
  stop_at_next_boundary_ = true;  // the others learn of it at the next boundary
  return false;
}

bool StepStopVote::drain() {
  bool stop = stop_at_next_boundary_;
  stop_at_next_boundary_ = false;
  if (pending_) {
    std::unique_ptr<PendingSum> pending = std::move(pending_);
    stop = pending->wait() > 0 || stop;
  }
  return stop;
}

}  // namespace volt::host
