// What every rank does at a training step boundary, agreed without making every step wait for
// the others (docs/distributed.md, "Stopping"). A rank may ask to stop (its own
// request_stop), to save an hpc checkpoint (SIGUSR1) or to be interrupted (SIGINT, SIGTERM);
// every rank must act at the same step, or one would wait in a collective (the checkpoint's
// barrier, the next step's gradients) that the others never join.
//
// At each boundary every rank adds its requests to a sum over the ranks that runs in the
// background, and reads the sum started at the previous boundary, long finished:
//  - a previous sum in which some rank asked: every rank acts now on every kind asked for in
//    it, one step after a request that only some ranks made;
//  - a rank that asks waits for this boundary's sum at once: when every rank asked (a signal
//    sent to every process, a stop every rank decided), every rank acts now, as a single
//    process does. Ranks that did not ask cannot see that case, so they never wait.
// Every rank therefore reads the same sums at the same boundaries and acts at the same step.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>

namespace volt::host {

// Kinds of request (bit flags; they combine).
enum BoundaryRequest : uint32_t {
  kRequestStop = 1u << 0,
  kRequestHpcCheckpoint = 1u << 1,
  kRequestInterrupt = 1u << 2,
};
inline constexpr size_t kRequestKinds = 3;

// Per rank: [1 if it asks anything, then 1 per kind it asks]; summed over the ranks.
using RequestCounts = std::array<double, kRequestKinds + 1>;

// A sum over the ranks in flight. Destroying it without wait() gives it up.
class PendingSum {
 public:
  virtual ~PendingSum() = default;
  virtual RequestCounts wait() = 0;
};

// Starts summing one rank's counts over every rank.
using StartSum = std::function<std::unique_ptr<PendingSum>(const RequestCounts& counts)>;

class BoundaryVote {
 public:
  BoundaryVote(int32_t world_size, StartSum start);

  // This rank's requests at a step boundary; returns the requests every rank acts on now (the
  // union of what the ranks asked; 0: nothing), the same on every rank. A request that is not
  // returned is either in a sum that decides at the next boundary, or was not counted (a
  // previous sum decided this boundary): ask again at the next one.
  uint32_t at_step_boundary(uint32_t requests);
  // A blocking decision (the epoch's end): the union over the ranks of `requests` and of
  // whatever a sum still in flight, or a decision deferred to the next boundary, holds.
  // Leaves nothing in flight.
  uint32_t settle(uint32_t requests);
  // Destroying the vote gives up a sum in flight without waiting (the trainer does when
  // training ends).

 private:
  uint32_t drain();

  int32_t world_size_;
  StartSum start_;
  std::unique_ptr<PendingSum> pending_;
  uint32_t deferred_ = 0;  // this rank asked, not every rank did: acted on at the next boundary
};

}  // namespace volt::host
