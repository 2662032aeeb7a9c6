// Volt's local launcher (Lightning's _SubprocessScriptLauncher, torchrun's agent): starts one
// worker process per local device with the same command line, tells each where it sits through
// environment variables, and supervises them. When one worker fails, the others are stopped
// and the launcher reports which rank failed and why; nothing waits forever.
//
// Unlike Lightning, the launching process does not train as rank 0: it only supervises, so a
// failure of any rank (rank 0 included) is seen and reported the same way.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace volt::host {

struct LaunchPlan {
  std::string program;            // the executable to start (normally /proc/self/exe)
  std::vector<std::string> args;  // its arguments, without argv[0]
  int64_t local_processes = 1;    // trainer.devices
  int64_t num_nodes = 1;
  int64_t node_rank = 0;
  std::string main_address = "127.0.0.1";
  int32_t main_port = 0;          // 0: a free port of this machine (one node only)
  // After one worker failed: how long the others get to exit after SIGTERM before SIGKILL.
  std::chrono::milliseconds grace{std::chrono::seconds(10)};
  // A worker whose heartbeat (heartbeat.hpp) stops for this long is killed and the job stopped,
  // naming it; 0: never (a debugger may hold a worker).
  std::chrono::milliseconds heartbeat_timeout{std::chrono::seconds(20)};
  // Added to every worker's environment, replacing inherited values: the per-rank thread
  // share (OMP_NUM_THREADS, see runtime/intra_op_threads.hpp).
  std::map<std::string, std::string> worker_env;
};

// Each worker gets LOCAL_RANK, NODE_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
// VOLT_ERROR_FILE (where its error message goes; see write_error_file), VOLT_LAUNCHER_PID and
// VOLT_HEARTBEAT_FILE/_SLOT, and runs in its own process group (signals to the terminal's group
// reach the launcher only). Returns 0 when every worker succeeded; otherwise the failing
// worker's exit code (128 + signal when killed; 1 for a worker that stopped answering) after
// logging, for example, "rank 1 (pid 4242) failed with exit code 1: <its error>".
int launch_local_workers(const LaunchPlan& plan);

// A TCP port nobody listens on now (bound and released; Lightning's find_free_network_port).
int32_t find_free_port();

// In a worker Volt's launcher started (VOLT_LAUNCHER_PID): ends this process with SIGTERM when
// the launcher dies, so no worker outlives it. Throws when the launcher is already gone.
void follow_launcher();

// In a worker: writes `message` to $VOLT_ERROR_FILE when set, for the launcher to report.
// Never throws.
void write_error_file(const std::string& message) noexcept;

}  // namespace volt::host
