#include "distributed/launcher.hpp"

#include "distributed/heartbeat.hpp"
#include "runtime/host_api.hpp"
#include "runtime/log.hpp"
#include "runtime/signals.hpp"

#include <volt/sdk/core.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

extern char** environ;

namespace volt::host {

namespace {

namespace fs = std::filesystem;

struct Worker {
  int64_t local_rank = 0;
  int64_t global_rank = 0;
  pid_t pid = -1;
  bool running = false;
  int status = 0;  // waitpid status once exited
  fs::path error_file;
  uint64_t beats = 0;  // the heartbeat counter when last seen to change, and when
  std::chrono::steady_clock::time_point last_beat;
};

// The launcher's environment with `overrides` replacing or adding variables.
std::vector<std::string> worker_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    if (overrides.count(kv.substr(0, kv.find('='))) == 0) env.push_back(std::move(kv));
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
}

pid_t spawn(const std::string& program, const std::vector<std::string>& args,
            const std::vector<std::string>& env) {
  std::vector<char*> argv{const_cast<char*>(program.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  // Each worker in its own process group: Ctrl-C at the terminal reaches the launcher only,
  // which passes it on once (a second SIGINT would end a worker before its checkpoint).
  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  ::posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, program.c_str(), nullptr, &attr, argv.data(), envp.data());
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw Error(VOLT_ERROR_INTERNAL, "cannot start worker " + program + ": " + std::strerror(rc));
  return pid;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "was killed by signal " + std::to_string(sig) + (name != nullptr ? std::string(" (") + name + ")" : "");
  }
  return "failed with exit code " + std::to_string(WEXITSTATUS(status));
}

int exit_code_of(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

bool failed(int status) { return !(WIFEXITED(status) && WEXITSTATUS(status) == 0); }

std::string read_error(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Reaps every worker that exited; true when any did.
bool reap(std::vector<Worker>& workers) {
  bool any = false;
  for (auto& w : workers) {
    if (!w.running) continue;
    int status = 0;
    pid_t r = ::waitpid(w.pid, &status, WNOHANG);
    if (r == w.pid) {
      w.running = false;
      w.status = status;
      any = true;
    }
  }
  return any;
}

bool any_running(const std::vector<Worker>& workers) {
  for (const auto& w : workers)
    if (w.running) return true;
  return false;
}

void signal_all(const std::vector<Worker>& workers, int sig) {
  for (const auto& w : workers)
    if (w.running) ::kill(w.pid, sig);
}

// SIGTERM, then SIGKILL for those still running after `grace`.
void stop_all(std::vector<Worker>& workers, std::chrono::milliseconds grace) {
  signal_all(workers, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (any_running(workers) && std::chrono::steady_clock::now() < deadline) {
    reap(workers);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  signal_all(workers, SIGKILL);
  for (auto& w : workers)
    if (w.running) {
      ::waitpid(w.pid, &w.status, 0);
      w.running = false;
    }
}

// The first running worker whose heartbeat has not changed for `timeout`.
Worker* stalled_worker(std::vector<Worker>& workers, const HeartbeatBoard& board,
                       std::chrono::milliseconds timeout) {
  auto now = std::chrono::steady_clock::now();
  for (auto& w : workers) {
    if (!w.running) continue;
    uint64_t beats = board.beats(w.local_rank);
    if (beats != w.beats) {
      w.beats = beats;
      w.last_beat = now;
    } else if (now - w.last_beat > timeout) {
      return &w;
    }
  }
  return nullptr;
}

std::string seconds_text(std::chrono::milliseconds d) {
  std::ostringstream s;
  s << static_cast<double>(d.count()) / 1000.0 << " s";
  return s.str();
}

}  // namespace

int32_t find_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(VOLT_ERROR_INTERNAL, std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw Error(VOLT_ERROR_INTERNAL, "cannot find a free TCP port for MASTER_PORT");
  return ntohs(addr.sin_port);
}

void follow_launcher() {
  const char* launcher = std::getenv("VOLT_LAUNCHER_PID");
  if (launcher == nullptr || *launcher == '\0') return;
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (std::to_string(::getppid()) != launcher)  // it died before prctl took effect
    throw Error(VOLT_ERROR_CANCELLED, "the launcher (pid " + std::string(launcher) + ") is gone");
}

void write_error_file(const std::string& message) noexcept {
  try {
    const char* path = std::getenv("VOLT_ERROR_FILE");
    if (path == nullptr || *path == '\0') return;
    std::ofstream(path) << message << "\n";
  } catch (...) {
  }
}

int launch_local_workers(const LaunchPlan& plan) {
  int32_t port = plan.main_port;
  if (port == 0) {
    if (plan.num_nodes > 1)
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "trainer.num_nodes=" + std::to_string(plan.num_nodes) +
                      " needs MASTER_PORT (and MASTER_ADDR, NODE_RANK) set on every node");
    port = find_free_port();
  }
  int64_t world = plan.local_processes * plan.num_nodes;
  char dir_template[] = "/tmp/volt-launch-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr)
    throw Error(VOLT_ERROR_INTERNAL, std::string("mkdtemp: ") + std::strerror(errno));
  fs::path error_dir = dir_template;
  HeartbeatBoard board(error_dir / "heartbeats", plan.local_processes);

  std::vector<Worker> workers;
  for (int64_t local = 0; local < plan.local_processes; ++local) {
    Worker w;
    w.local_rank = local;
    w.global_rank = plan.node_rank * plan.local_processes + local;
    w.error_file = error_dir / ("rank_" + std::to_string(w.global_rank) + ".txt");
    std::map<std::string, std::string> env{
        {"LOCAL_RANK", std::to_string(local)},
        {"NODE_RANK", std::to_string(plan.node_rank)},
        {"WORLD_SIZE", std::to_string(world)},
        {"MASTER_ADDR", plan.main_address},
        {"MASTER_PORT", std::to_string(port)},
        {"VOLT_ERROR_FILE", w.error_file.string()},
        {"VOLT_LAUNCHER_PID", std::to_string(::getpid())},
        {"VOLT_HEARTBEAT_FILE", board.file().string()},
        {"VOLT_HEARTBEAT_SLOT", std::to_string(local)}};
    env.insert(plan.worker_env.begin(), plan.worker_env.end());
    try {
      w.pid = spawn(plan.program, plan.args, worker_environment(env));
    } catch (...) {
      stop_all(workers, plan.grace);
      throw;
    }
    w.running = true;
    w.last_beat = std::chrono::steady_clock::now();
    workers.push_back(std::move(w));
  }
  log::info("Launched ", plan.local_processes, " worker processes (node ", plan.node_rank, " of ",
            plan.num_nodes, ", world size ", world, ", MASTER_ADDR ", plan.main_address,
            ", MASTER_PORT ", port, ")");

  // Supervise: the first failure stops the rest; a stop request (Ctrl-C, SIGTERM to the
  // launcher) is passed on so that each worker saves its checkpoint and exits by itself.
  const Worker* first_failure = nullptr;
  const Worker* stalled = nullptr;
  std::string stalled_state;
  bool forwarded = false;
  while (any_running(workers)) {
    if (!forwarded && cancel_flag().load()) {
      signal_all(workers, stop_signal() != 0 ? stop_signal() : SIGTERM);
      forwarded = true;
    }
    // Within one pass, a worker killed by a signal is the likelier cause: its peers then fail
    // in their next collective.
    if (reap(workers) && !forwarded && first_failure == nullptr)
      for (bool signalled : {true, false})
        for (const auto& w : workers)
          if (first_failure == nullptr && !w.running && failed(w.status) &&
              WIFSIGNALED(w.status) == signalled)
            first_failure = &w;
    if (first_failure != nullptr) {
      stop_all(workers, plan.grace);
      break;
    }
    // A worker that stopped running holds its peers in their next collective until the
    // collective timeout: kill it now; the others then fail fast on the broken connection.
    if (plan.heartbeat_timeout.count() > 0)
      if (Worker* w = stalled_worker(workers, board, plan.heartbeat_timeout)) {
        stalled = w;
        stalled_state = stopped_state_of(w->pid);
        ::kill(w->pid, SIGKILL);
        stop_all(workers, plan.grace);
        break;
      }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  int status = 0;
  if (stalled != nullptr) {
    const Worker& w = *stalled;
    log::error("rank ", w.global_rank, " (local rank ", w.local_rank, ", pid ", w.pid,
               ") stopped answering: no heartbeat for ", seconds_text(plan.heartbeat_timeout),
               stalled_state.empty() ? std::string() : " (" + stalled_state + ")",
               "; it was killed and the other workers were stopped (trainer.heartbeat_timeout "
               "sets the limit, 0 turns it off)");
    status = 1;
  } else if (first_failure != nullptr) {
    const Worker& w = *first_failure;
    std::string error = read_error(w.error_file);
    log::error("rank ", w.global_rank, " (local rank ", w.local_rank, ", pid ", w.pid, ") ",
               describe_exit(w.status), error.empty() ? "" : ": " + error,
               "; the other workers were stopped");
    status = exit_code_of(w.status);
    for (const auto& other : workers)
      if (&other != &w && failed(other.status))
        log::warning("then rank ", other.global_rank, " ", describe_exit(other.status));
  } else {
    for (const auto& w : workers)
      if (status == 0) status = exit_code_of(w.status);
  }
  std::error_code ec;
  fs::remove_all(error_dir, ec);
  return status;
}

}  // namespace volt::host
