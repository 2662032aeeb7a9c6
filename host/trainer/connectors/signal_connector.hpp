// Lightning's signal connector: what the signals ask for (runtime/signals.hpp), done at fit's
// step boundaries, at the same step on every rank (trainer/boundary_vote.hpp):
//  - SIGINT/SIGTERM: <checkpoint dir>/interrupted.ckpt, then Interrupted is thrown;
//  - SIGUSR1: <default_root_dir>/hpc_ckpt_<N+1>.ckpt (Lightning's SLURM requeue checkpoint);
//    under SLURM the job is requeued with `scontrol requeue` and training stops.
#pragma once

#include <cstdint>

namespace volt::host {

class TrainerParts;

class SignalConnector {
 public:
  explicit SignalConnector(TrainerParts& t) : t_(t) {}

  // This rank's requests (BoundaryRequest flags): its stop, SIGUSR1, SIGINT/SIGTERM.
  uint32_t take_local_requests();
  // After a step-boundary vote: every rank acts on `requests`, so this rank's are done.
  void acted_on(uint32_t requests) { local_requests_ &= ~requests; }
  // After the vote of an epoch's end, which is not a point to checkpoint at: `requests` wait
  // for the next step boundary.
  void defer(uint32_t requests) { local_requests_ = requests; }
  // What every rank does with the requests the vote returned: stop; save an hpc checkpoint
  // (and requeue under SLURM); save interrupted.ckpt and throw Interrupted.
  void act_on_requests(uint32_t requests);

 private:
  TrainerParts& t_;
  uint32_t local_requests_ = 0;  // this rank's requests not yet acted on
};

}  // namespace volt::host
