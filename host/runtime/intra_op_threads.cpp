#include "runtime/intra_op_threads.hpp"

#include "runtime/log.hpp"

#include <volt/sdk/core.hpp>

#include <ATen/Parallel.h>

#include <algorithm>

namespace volt::host {

namespace {

// A thread count from an environment variable: a positive integer; for OMP_NUM_THREADS also
// OpenMP's list form ("4,2": 4 at the outer level, which is the one LibTorch uses).
int64_t parse_count(const std::string& name, const std::string& value, bool list_allowed) {
  std::string first = list_allowed ? value.substr(0, value.find(',')) : value;
  while (!first.empty() && first.back() == ' ') first.pop_back();
  while (!first.empty() && first.front() == ' ') first.erase(first.begin());
  bool digits = !first.empty() && first.size() <= 6 &&
                first.find_first_not_of("0123456789") == std::string::npos;
  int64_t n = digits ? std::stoll(first) : 0;
  if (n < 1)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                name + "='" + value + "' is not a positive number of threads (unset it to let "
                "Volt use the CPUs this process may use, or pass --trainer.num_threads=N)");
  return n;
}

}  // namespace

std::string ThreadChoice::describe() const {
  return count_of(threads, "thread", "threads") + ": " + source;
}

ThreadChoice choose_threads(std::optional<int64_t> option, const EnvLookup& env,
                            const CpuAllowance& allowed, int64_t local_processes) {
  // Each rank on the node gets an equal share of the allowed CPUs, at least one.
  const int64_t ranks = std::max<int64_t>(1, local_processes);
  const int64_t per_rank_cpus = std::max<int64_t>(1, allowed.cpus / ranks);
  const std::string share_reason =
      ranks > 1 ? allowed.reason + ", shared by " + std::to_string(ranks) + " local ranks" : allowed.reason;
  ThreadChoice choice;
  auto nonempty = [&](const char* name) -> std::optional<std::string> {
    std::optional<std::string> v = env(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  };
  if (option) {
    if (*option < 1)
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "trainer.num_threads=" + std::to_string(*option) + " must be at least 1");
    choice.threads = *option;
    choice.source = "--trainer.num_threads";
    choice.chosen_by_user = true;
  } else if (auto omp = nonempty("OMP_NUM_THREADS")) {
    choice.threads = parse_count("OMP_NUM_THREADS", *omp, true);
    std::optional<std::string> launcher_reason = nonempty(kThreadsSourceVariable);
    choice.chosen_by_user = !launcher_reason;
    choice.source = launcher_reason ? *launcher_reason : "OMP_NUM_THREADS";
  } else if (auto slurm = nonempty("SLURM_CPUS_PER_TASK"); slurm && local_processes > 1) {
    choice.threads = parse_count("SLURM_CPUS_PER_TASK", *slurm, false);
    choice.source = "SLURM_CPUS_PER_TASK";
  } else {
    choice.threads = per_rank_cpus;
    choice.source = share_reason;
  }
  // Oversubscribing makes OpenMP's spinning threads wait for each other's time slices.
  if (choice.threads > per_rank_cpus)
    choice.warning = count_of(choice.threads, "thread", "threads") + " from " + choice.source +
                     " is more than the " + count_of(per_rank_cpus, "CPU", "CPUs") +
                     " this process may use (" + share_reason +
                     "); training will be slower than with fewer threads";
  return choice;
}

std::map<std::string, std::string> worker_thread_environment(const ThreadChoice& per_rank) {
  if (per_rank.chosen_by_user) return {{kThreadsSourceVariable, ""}};
  return {{"OMP_NUM_THREADS", std::to_string(per_rank.threads)},
          {kThreadsSourceVariable, per_rank.source}};
}

void apply_threads(const ThreadChoice& choice) {
  const int threads = static_cast<int>(std::min<int64_t>(choice.threads, 1 << 16));
  at::set_num_threads(threads);
  try {
    at::set_num_interop_threads(threads);
  } catch (const std::exception& e) {
    // Only possible once parallel work ran; the intra-op count, the one that matters, is set.
    log::debug("inter-op threads left at ", at::get_num_interop_threads(), ": ", e.what());
  }
}

}  // namespace volt::host
