// The stop decision at training step boundaries, the same on every rank without making every
// step wait for the others (docs/distributed.md, "Stopping").
//
// At each boundary every rank adds its wish to stop (0 or 1) to a sum over the ranks that runs
// in the background, and reads the sum started at the previous boundary, long finished:
//  - a previous sum above zero: every rank stops now, one step after a request that only some
//    ranks made;
//  - a rank that wishes to stop waits for this boundary's sum at once: when every rank wished
//    it (the sum is the world size) every rank stops now, as a single process does. Ranks that
//    did not wish it cannot see that case, so they never wait.
// Every rank therefore reads the same sums at the same boundaries and stops at the same step.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace volt::host {

// A sum over the ranks in flight. Destroying it without wait() gives it up.
class PendingSum {
 public:
  virtual ~PendingSum() = default;
  virtual double wait() = 0;
};

// Starts summing one rank's value over every rank.
using StartSum = std::function<std::unique_ptr<PendingSum>(double value)>;

class StepStopVote {
 public:
  StepStopVote(int32_t world_size, StartSum start);

  // This rank's wish at a step boundary; true when every rank stops now (the same on all).
  bool at_step_boundary(bool wish);
  // Before a blocking decision (the epoch's end) or when training ends: true when a sum still
  // in flight, or a decision deferred to the next boundary, asks to stop. Leaves nothing in
  // flight.
  bool drain();

 private:
  int32_t world_size_;
  StartSum start_;
  std::unique_ptr<PendingSum> pending_;
  bool stop_at_next_boundary_ = false;  // this rank wished; not every rank did
};

}  // namespace volt::host
