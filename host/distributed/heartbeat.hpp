// Heartbeats from launched workers to Volt's launcher, so that a worker that stopped running
// (SIGSTOP, a frozen machine, a debugger holding it) is found within seconds instead of after
// the collective timeout (Lightning's 30 minutes), and the job is stopped naming that rank.
//
// The launcher creates a small file of one 64-bit counter per local worker, mapped shared; each
// worker maps it and a thread of its own increments its counter twice a second. The thread
// beats while the worker computes (a long step, a collective), and stops only when the whole
// process stops, so a missing beat means the process is not running, not that it is slow.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace volt::host {

// The beat interval of a worker.
inline constexpr std::chrono::milliseconds kHeartbeatInterval{500};

// The launcher's side: the counters of `workers` local workers.
class HeartbeatBoard {
 public:
  HeartbeatBoard(const std::filesystem::path& file, int64_t workers);
  ~HeartbeatBoard();
  HeartbeatBoard(const HeartbeatBoard&) = delete;
  HeartbeatBoard& operator=(const HeartbeatBoard&) = delete;

  const std::filesystem::path& file() const { return file_; }
  // How many beats worker `slot` has sent so far.
  uint64_t beats(int64_t slot) const;

 private:
  std::filesystem::path file_;
  int64_t workers_ = 0;
  void* map_ = nullptr;
};

// The worker's side: when VOLT_HEARTBEAT_FILE and VOLT_HEARTBEAT_SLOT are set (Volt's launcher
// started this process), starts the beating thread; otherwise does nothing. Throws when the
// file named there cannot be mapped. Call early (the launcher counts from the spawn); later
// calls do nothing.
void start_heartbeat();

// What /proc says about a process that stopped beating: "stopped by a signal (SIGSTOP or
// Ctrl-Z)", "stopped by a debugger", or "" when it is running or sleeping as usual.
std::string stopped_state_of(pid_t pid);

}  // namespace volt::host
