#include "runtime/signals.hpp"

#include "runtime/host_api.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>

namespace volt::host {

namespace {

std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_requeue{false};

// Async-signal-safe: lock-free atomics only.
void on_signal(int signal) {
  if (signal == SIGUSR1) {
    g_requeue.store(true);
    return;
  }
  int none = 0;
  if (!g_stop_signal.compare_exchange_strong(none, signal)) {
    // A second Ctrl-C or SIGTERM while the first is being handled: stop now, as the default
    // action would (signal and raise are async-signal-safe).
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  cancel_flag().store(true);
}

}  // namespace

void install_signal_handlers() {
  static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking reads resume; the loop polls the flags
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGUSR1, &action, nullptr);
}

std::string slurm_job_id() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
  };
  std::string array_job = env("SLURM_ARRAY_JOB_ID"), task = env("SLURM_ARRAY_TASK_ID");
  if (!array_job.empty() && !task.empty()) return array_job + "_" + task;
  return env("SLURM_JOB_ID");
}

int stop_signal() { return g_stop_signal.load(); }

// Asked at every step boundary: a plain load first, so the common case is no locked exchange.
bool take_requeue_request() {
  return g_requeue.load(std::memory_order_relaxed) && g_requeue.exchange(false);
}

}  // namespace volt::host
