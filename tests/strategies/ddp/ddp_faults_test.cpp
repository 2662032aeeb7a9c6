// When a ddp worker dies or fails, the run ends: the launcher stops the other workers, exits
// non-zero and names the rank and its error; a rank whose peers never come stops at the
// timeout. Nothing hangs.
#include "strategies/ddp/ddp_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#ifdef VOLT_TEST_HAVE_DDP

using namespace volt::ddp_test;

namespace {

// Children of `parent` with their LOCAL_RANK (read from /proc).
std::map<int, pid_t> workers_of(pid_t parent) {
  std::map<int, pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    std::ifstream environ(e.path() / "environ", std::ios::binary);
    std::string var;
    while (std::getline(environ, var, '\0'))
      if (var.rfind("LOCAL_RANK=", 0) == 0) out[std::stoi(var.substr(11))] = std::stoi(name);
  }
  return out;
}

}  // namespace

TEST_CASE("a worker killed mid-training stops the run and the launcher names it",
          "[ddp][e2e][faults]") {
  TempDir tmp("ddp-kill");
  fs::path dir = tmp / "run";
  fs::create_directories(dir);
  // Long enough that it is still training when the test kills rank 1.
  pid_t launcher = start_process(
      fit_args(tmp / "root", 16, 100000, {"--strategy=ddp", "--trainer.devices=2"}), dir, dir);
  std::map<int, pid_t> workers;
  for (int i = 0; i < 600 && workers.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    workers = workers_of(launcher);
  }
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

TEST_CASE("a rank whose peers never arrive stops at the timeout", "[ddp][e2e][faults]") {
  TempDir tmp("ddp-timeout");
  std::string port = std::to_string(volt::host::find_free_port());
  fs::path dir = tmp / "run";
  fs::create_directories(dir);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = start_process(fit_args(tmp / "root", 16, 1, {"--strategy=ddp", "--strategy.timeout=2"}),
                            dir, dir,
                            {"RANK=0", "LOCAL_RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1",
                             "MASTER_PORT=" + port});
  bool timed_out = false;
  ProcessResult r = wait_process(pid, dir, 120, &timed_out);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(describe(r));
  CHECK_FALSE(timed_out);
  CHECK(seconds < 60);
  CHECK(r.exit_code != 0);
  std::string printed = r.out + r.err;
  bool named = printed.find("rendezvous of 2 processes at 127.0.0.1:" + port) != std::string::npos ||
               printed.find("process group of 2 processes did not form (rank 0, store at 127.0.0.1:" +
                            port) != std::string::npos;
  CHECK(named);
}

#endif  // VOLT_TEST_HAVE_DDP
