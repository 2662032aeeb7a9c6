// Every wait of the ddp rendezvous ends: at the strategy's timeout when the peers never come or
// the store port belongs to another program, and at once when the run is asked to stop
// (SIGTERM, or the launcher dying), whatever c10d's TCPStore is blocked in.
#include "strategies/ddp/ddp_support.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#ifdef VOLT_TEST_HAVE_DDP

using namespace volt::ddp_test;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A TCP port on loopback that accepts connections (the kernel completes them from the backlog)
// and never answers: another program holding the port Volt was told to use.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("cannot listen on loopback");
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::vector<std::string> torchrun_env(int rank, int port) {
  return {"RANK=" + std::to_string(rank), "LOCAL_RANK=" + std::to_string(rank), "WORLD_SIZE=2",
          "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port)};
}

}  // namespace

TEST_CASE("a rank whose peers never arrive stops at the timeout", "[ddp][e2e][faults]") {
  TempDir tmp("ddp-timeout");
  int port = volt::host::find_free_port();
  fs::path dir = tmp / "run";
  fs::create_directories(dir);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = start_process(fit_args(tmp / "root", 16, 1, {"--strategy=ddp", "--strategy.timeout=2"}),
                            dir, dir, torchrun_env(0, port));
  bool timed_out = false;
  ProcessResult r = wait_process(pid, dir, 120, &timed_out);
  double seconds = seconds_since(start);
  INFO(describe(r));
  CHECK_FALSE(timed_out);
  CHECK(seconds < 60);
  CHECK(r.exit_code != 0);
  std::string printed = r.out + r.err;
  bool named = printed.find("rendezvous of 2 processes at 127.0.0.1:" + std::to_string(port)) !=
                   std::string::npos ||
               printed.find("process group of 2 processes did not form (rank 0, store at 127.0.0.1:" +
                            std::to_string(port)) != std::string::npos;
  CHECK(named);
}

TEST_CASE("a store port answered by another program ends the rendezvous at the timeout",
          "[ddp][e2e][faults]") {
  TempDir tmp("ddp-foreign-port");
  SilentListener foreign;
  fs::path dir = tmp / "run";
  fs::create_directories(dir);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = start_process(fit_args(tmp / "root", 16, 1, {"--strategy=ddp", "--strategy.timeout=3"}),
                            dir, dir, torchrun_env(1, foreign.port()));
  bool timed_out = false;
  ProcessResult r = wait_process(pid, dir, 120, &timed_out);
  double seconds = seconds_since(start);
  INFO(describe(r));
  CHECK_FALSE(timed_out);
  CHECK(seconds < 30);  // startup, then at most the 3 s timeout and a second
  CHECK(r.exit_code == 1);
  CHECK((r.out + r.err).find("ddp: rendezvous of 2 processes at 127.0.0.1:" +
                             std::to_string(foreign.port()) + " (rank 1)") != std::string::npos);
}

TEST_CASE("SIGTERM ends a rendezvous wait at once, under the default 30-minute timeout",
          "[ddp][e2e][faults][signals]") {
  TempDir tmp("ddp-rendezvous-sigterm");
  int port = volt::host::find_free_port();
  fs::path dir = tmp / "run";
  fs::create_directories(dir);
  pid_t pid = start_process(fit_args(tmp / "root", 16, 1, {"--strategy=ddp"}), dir, dir,
                            torchrun_env(0, port));
  REQUIRE(wait_for_output(dir, "ddp: rendezvous of 2 processes at", 120));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // into the TCPStore wait
  auto start = std::chrono::steady_clock::now();
  ::kill(pid, SIGTERM);
  bool timed_out = false;
  ProcessResult r = wait_process(pid, dir, 60, &timed_out);
  INFO(describe(r));
  CHECK_FALSE(timed_out);
  CHECK(seconds_since(start) < 5);
  CHECK(r.exit_code != 0);
  CHECK((r.out + r.err).find("given up: the run was asked to stop") != std::string::npos);
}

// The launcher's workers follow it (PR_SET_DEATHSIG): killed during the rendezvous, it leaves
// none behind in the TCPStore wait.
TEST_CASE("workers left in the rendezvous by a killed launcher end within seconds",
          "[ddp][e2e][faults]") {
  TempDir tmp("ddp-orphans");
  int port = volt::host::find_free_port();
  fs::path dir = tmp / "run";
  fs::create_directories(dir);
  // Node 0 of 2: its workers wait for node 1's, which never start.
  pid_t launcher = start_process(
      fit_args(tmp / "root", 16, 1, {"--strategy=ddp", "--trainer.num_nodes=2", "--trainer.devices=2"}),
      dir, dir, {"NODE_RANK=0", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port)});
  std::map<int, pid_t> workers = wait_for_workers(launcher);
  REQUIRE(workers.size() == 2);
  REQUIRE(wait_for_output(dir, "ddp: rendezvous of 4 processes at", 120));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(launcher, SIGKILL);
  wait_process(launcher, dir);
  auto start = std::chrono::steady_clock::now();
  while ((process_alive(workers[0]) || process_alive(workers[1])) && seconds_since(start) < 30)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  double seconds = seconds_since(start);
  bool left_behind = process_alive(workers[0]) || process_alive(workers[1]);
  for (const auto& [rank, pid] : workers) ::kill(pid, SIGKILL);
  CHECK_FALSE(left_behind);
  CHECK(seconds < 5);
}

#endif  // VOLT_TEST_HAVE_DDP
