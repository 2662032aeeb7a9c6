// SignalConnector (signal_connector.hpp) and the Interrupted error.
#include "trainer/connectors/signal_connector.hpp"

#include "trainer/interrupted.hpp"
#include "trainer/trainer_parts.hpp"

#include "checkpoint/ckpt_path.hpp"
#include "runtime/log.hpp"
#include "runtime/signals.hpp"

#include <cerrno>
#include <csignal>
#include <filesystem>

#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

namespace volt::host {

namespace fs = std::filesystem;

Interrupted::Interrupted(int signal, std::string checkpoint)
    : Error(VOLT_ERROR_CANCELLED,
            "interrupted by " + signal_name(signal) +
                (checkpoint.empty() ? std::string(" (no checkpoint saved)")
                                    : "; checkpoint saved to " + checkpoint)),
      signal_(signal), checkpoint_(std::move(checkpoint)) {}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    default: return "signal " + std::to_string(signal);
  }
}

void stop_if_signalled(int32_t stage) {
  if (stage == VOLT_STAGE_FIT || !cancel_flag().load()) return;
  throw Interrupted(stop_signal() != 0 ? stop_signal() : SIGINT, "");
}

namespace {

// Runs `scontrol requeue <id>` (found on PATH); returns its exit status (-1 if not started).
int run_requeue(const std::string& job_id) {
  std::string program = "scontrol", verb = "requeue", id = job_id;
  char* argv[] = {program.data(), verb.data(), id.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawnp(&pid, "scontrol", nullptr, nullptr, argv, environ) != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

uint32_t SignalConnector::take_local_requests() {
  if (take_requeue_request()) local_requests_ |= kRequestHpcCheckpoint;
  if (t_.state.should_stop) local_requests_ |= kRequestStop;  // kept until every rank acts on it
  uint32_t requests = local_requests_;
  if (cancel_flag().load(std::memory_order_relaxed)) requests |= kRequestInterrupt;
  return requests;
}

void SignalConnector::act_on_requests(uint32_t requests) {
  // Every rank gets here with the same requests, so the checkpoints' barriers meet.
  if ((requests & kRequestHpcCheckpoint) != 0) {
    fs::path path = next_hpc_checkpoint(t_.checkpoints.root_dir());
    t_.checkpoints.save_checkpoint(path.string(), false);
    std::string job = slurm_job_id();
    if (job.empty()) {
      log::info("SIGUSR1: hpc checkpoint saved to ", path.string(),
                " (not under SLURM: training goes on)");
    } else if (t_.info.global_rank == 0) {
      int status = run_requeue(job);
      if (status == 0)
        log::info("SIGUSR1: hpc checkpoint saved to ", path.string(), "; requeued SLURM job ", job);
      else
        log::error("SIGUSR1: hpc checkpoint saved to ", path.string(), "; `scontrol requeue ", job,
                   "` failed (", status, ")");
      t_.request_stop("requeued by SIGUSR1 (SLURM); the job resumes from " + path.string());
    } else {
      t_.request_stop("requeued by SIGUSR1 (SLURM)");
    }
  }
  if ((requests & kRequestInterrupt) == 0) return;
  // A rank the signal did not reach stops as if it had: its plugins see is_cancelled too.
  cancel_flag().store(true);
  int signal = stop_signal() != 0 ? stop_signal() : SIGINT;
  std::string saved;
  if (t_.options.fast_dev_run == 0) {
    saved = (t_.checkpoints.checkpoint_dir() / "interrupted.ckpt").string();
    t_.checkpoints.save_checkpoint(saved, false);
  }
  throw Interrupted(signal, saved);
}

}  // namespace volt::host
