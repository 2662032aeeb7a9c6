// The heartbeat board between the launcher and its workers: beats arrive through the shared
// file, stop when the beating process is stopped, and /proc tells a stopped process apart.
#include "distributed/heartbeat.hpp"

#include "support/trainer_harness.hpp"

#include <volt/sdk/core.hpp>

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

using volt::host::HeartbeatBoard;
using volt::host::kHeartbeatInterval;

namespace {

// A child that beats on `board`'s slot 1 (start_heartbeat, as a launched worker does), then
// sleeps until killed.
pid_t beating_child(const HeartbeatBoard& board) {
  std::string file = board.file().string();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("VOLT_HEARTBEAT_FILE", file.c_str(), 1);
    ::setenv("VOLT_HEARTBEAT_SLOT", "1", 1);
    try {
      volt::host::start_heartbeat();
    } catch (...) {
      ::_exit(3);
    }
    for (;;) ::pause();
  }
  return pid;
}

void end(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

}  // namespace

TEST_CASE("a worker's beats reach the launcher's board and stop while it is stopped",
          "[distributed][heartbeat]") {
  volt::trainer_test::TempDir tmp("heartbeat");
  HeartbeatBoard board(tmp / "beats", 2);
  CHECK(board.beats(0) == 0);
  CHECK(board.beats(1) == 0);
  pid_t child = beating_child(board);
  std::this_thread::sleep_for(kHeartbeatInterval * 4);
  uint64_t before = board.beats(1);
  CHECK(before >= 2);
  CHECK(board.beats(0) == 0);  // another worker's slot is untouched
  CHECK(volt::host::stopped_state_of(child).empty());

  ::kill(child, SIGSTOP);
  std::string state;
  for (int i = 0; i < 200 && state.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    state = volt::host::stopped_state_of(child);
  }
  CHECK(state == "stopped by a signal (SIGSTOP or Ctrl-Z)");
  uint64_t stopped_at = board.beats(1);
  std::this_thread::sleep_for(kHeartbeatInterval * 3);
  CHECK(board.beats(1) == stopped_at);  // a stopped process sends nothing

  ::kill(child, SIGCONT);
  std::this_thread::sleep_for(kHeartbeatInterval * 3);
  CHECK(board.beats(1) > stopped_at);
  end(child);
  CHECK(board.beats(7) == 0);  // out of range reads as silent, not out of bounds
}

TEST_CASE("start_heartbeat refuses a slot the board does not have", "[distributed][heartbeat]") {
  volt::trainer_test::TempDir tmp("heartbeat-slot");
  HeartbeatBoard board(tmp / "beats", 1);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("VOLT_HEARTBEAT_FILE", board.file().c_str(), 1);
    ::setenv("VOLT_HEARTBEAT_SLOT", "5", 1);
    int code = 0;
    try {
      volt::host::start_heartbeat();
    } catch (const volt::Error& e) {
      code = std::string(e.what()).find("has no slot 5") != std::string::npos ? 42 : 2;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 42);
  CHECK_THROWS_WITH(HeartbeatBoard(tmp / "beats", 1), Catch::Contains("heartbeat file"));  // exists
}

TEST_CASE("without the launcher's variables start_heartbeat does nothing", "[distributed][heartbeat]") {
  ::unsetenv("VOLT_HEARTBEAT_FILE");
  CHECK_NOTHROW(volt::host::start_heartbeat());
  CHECK(volt::host::stopped_state_of(::getpid()).empty());
}
