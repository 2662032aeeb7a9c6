// When a ddp worker dies, fails or stops running, the run ends: the launcher stops the other
// workers, exits non-zero and names the rank and its error. Nothing hangs (the rendezvous
// waits: ddp_rendezvous_test.cpp).
#include "strategies/ddp/ddp_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#ifdef VOLT_TEST_HAVE_DDP

using namespace volt::ddp_test;

TEST_CASE("a worker killed mid-training stops the run and the launcher names it",
          "[ddp][e2e][faults]") {
  TempDir tmp("ddp-kill");
  fs::path dir = tmp / "run";
  fs::create_directories(dir);
  // Long enough that it is still training when the test kills rank 1.
  pid_t launcher = start_process(
      fit_args(tmp / "root", 16, 100000, {"--strategy=ddp", "--trainer.devices=2"}), dir, dir);
  std::map<int, pid_t> workers = wait_for_workers(launcher);
  REQUIRE(workers.size() == 2);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // into training
  ::kill(workers[1], SIGKILL);
  auto start = std::chrono::steady_clock::now();
  bool timed_out = false;
  ProcessResult r = wait_process(launcher, dir, 120, &timed_out);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(describe(r));
  CHECK_FALSE(timed_out);
  CHECK(seconds < 30);  // the other rank is stopped, not left waiting for its peer
  CHECK(r.exit_code == 128 + SIGKILL);
  std::string printed = r.out + r.err;
  CHECK(printed.find("rank 1 (local rank 1") != std::string::npos);
  CHECK(printed.find("killed by signal 9") != std::string::npos);
  CHECK(::kill(workers[0], 0) != 0);  // rank 0 is gone too
}

TEST_CASE("an error in the workers reaches the user with the rank and the message",
          "[ddp][e2e][faults]") {
  TempDir tmp("ddp-error");
  ProcessResult r = run(fit_args(tmp / "root", 16, 1,
                                 {"--strategy=ddp", "--trainer.devices=2",
                                  "--ckpt_path=" + (tmp / "missing.ckpt").string()}),
                        tmp, "run");
  INFO(describe(r));
  CHECK(r.exit_code == 1);
  std::string printed = r.out + r.err;
  CHECK(printed.find("failed with exit code 1: ") != std::string::npos);
  CHECK(printed.find("missing.ckpt") != std::string::npos);
}

// Lightning's collective timeout is 30 minutes; Volt's launcher finds a worker that stopped
// running by its missing heartbeat after trainer.heartbeat_timeout (20 s by default).
TEST_CASE("a stopped worker is found by its heartbeat, killed and named, with the default timeout",
          "[ddp][e2e][faults]") {
  TempDir tmp("ddp-stall");
  fs::path dir = tmp / "run";
  fs::create_directories(dir);
  pid_t launcher = start_process(
      fit_args(tmp / "root", 16, 100000, {"--strategy=ddp", "--trainer.devices=2"}), dir, dir);
  std::map<int, pid_t> workers = wait_for_workers(launcher);
  REQUIRE(workers.size() == 2);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // into training
  ::kill(workers[1], SIGSTOP);
  auto start = std::chrono::steady_clock::now();
  bool timed_out = false;
  ProcessResult r = wait_process(launcher, dir, 120, &timed_out);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(describe(r));
  CHECK_FALSE(timed_out);
  CHECK(seconds >= 19);  // not before the heartbeat timeout
  CHECK(seconds < 45);   // the timeout, then the peer fails on the broken connection
  CHECK(r.exit_code == 1);
  std::string printed = r.out + r.err;
  CHECK(printed.find("rank 1 (local rank 1, pid " + std::to_string(workers[1]) +
                     ") stopped answering: no heartbeat for 20 s (stopped by a signal") !=
        std::string::npos);
  CHECK_FALSE(process_alive(workers[0]));
  CHECK_FALSE(process_alive(workers[1]));
}

TEST_CASE("trainer.heartbeat_timeout=0 leaves a stopped worker alone", "[ddp][e2e][faults]") {
  TempDir tmp("ddp-stall-off");
  fs::path dir = tmp / "run";
  fs::create_directories(dir);
  pid_t launcher = start_process(
      fit_args(tmp / "root", 16, 100000,
               {"--strategy=ddp", "--trainer.devices=2", "--trainer.heartbeat_timeout=0",
                "--strategy.timeout=600"}),
      dir, dir);
  std::map<int, pid_t> workers = wait_for_workers(launcher);
  REQUIRE(workers.size() == 2);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ::kill(workers[1], SIGSTOP);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  CHECK(process_alive(launcher));  // still waiting, as a debugger session needs
  CHECK(process_alive(workers[1]));
  ::kill(workers[1], SIGKILL);  // a dead worker still ends the run
  bool timed_out = false;
  ProcessResult r = wait_process(launcher, dir, 60, &timed_out);
  INFO(describe(r));
  CHECK_FALSE(timed_out);
  CHECK(r.exit_code == 128 + SIGKILL);
  CHECK((r.out + r.err).find("stopped answering") == std::string::npos);
}

#endif  // VOLT_TEST_HAVE_DDP
