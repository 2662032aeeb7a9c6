// The signals a training run answers (Lightning's signal connector):
//  - SIGINT, SIGTERM: finish the current step, save a checkpoint, stop; the exit status is
//    128 + the signal number. A second one ends the process at once (the default action).
//  - SIGUSR1 (SLURM's requeue signal): save an `hpc` checkpoint at the next step boundary,
//    then under SLURM requeue the job and stop.
// The handlers only set flags; the fit loop acts on them between steps.
#pragma once

#include <string>

namespace volt::host {

void install_signal_handlers();

// The first SIGINT/SIGTERM received (0 if none). The cancel flag (host_api.hpp) is set with it.
int stop_signal();

// True once per SIGUSR1 received since the last call.
bool take_requeue_request();

// The SLURM job to requeue ("<array job>_<task>" for array jobs); "" when not under SLURM.
std::string slurm_job_id();

}  // namespace volt::host
