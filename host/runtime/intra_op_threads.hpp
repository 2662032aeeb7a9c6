// How many threads LibTorch's operators use in this process, and why.
//
// LibTorch's own default is not the machine: with OpenMP it starts from omp_get_max_threads(),
// which is 1 on Debian's build unless OMP_NUM_THREADS says otherwise, so a plain `volt fit` would
// train on one core of many. Volt chooses, in this order:
//  1. --trainer.num_threads=N (Volt's option; Lightning has none);
//  2. OMP_NUM_THREADS, set by the user or by an external launcher (torchrun sets 1 per rank);
//     when Volt's own launcher set it for its workers, the reason it gave comes along in
//     VOLT_NUM_THREADS_SOURCE;
//  3. SLURM_CPUS_PER_TASK, when SLURM started several ranks of this run;
//  4. the CPUs this process may use (cpu_allowance.hpp), divided among the ranks on this node.
// Inter-op threads (at::launch, the JIT's fork) are set to the same number.
#pragma once

#include "distributed/cluster_environment.hpp"
#include "runtime/cpu_allowance.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace volt::host {

// Set by Volt's launcher beside OMP_NUM_THREADS: why its workers got that many threads.
inline constexpr const char* kThreadsSourceVariable = "VOLT_NUM_THREADS_SOURCE";

struct ThreadChoice {
  int64_t threads = 1;
  std::string source;           // "2 CPUs allowed by affinity", "OMP_NUM_THREADS", ...
  bool chosen_by_user = false;  // the option or OMP_NUM_THREADS from outside Volt's launcher
  std::string warning;          // non-empty: more threads than allowed CPUs

  // "2 threads: 2 CPUs allowed by affinity", "1 thread: OMP_NUM_THREADS".
  std::string describe() const;
};

// `option`: trainer.num_threads (nullopt = automatic). `local_processes`: the ranks of this run
// on this node, each of which gets an equal share of `allowed`. Throws volt::Error naming the
// variable when OMP_NUM_THREADS or SLURM_CPUS_PER_TASK is not a positive integer.
ThreadChoice choose_threads(std::optional<int64_t> option, const EnvLookup& env,
                            const CpuAllowance& allowed, int64_t local_processes);

// What Volt's launcher adds to each worker's environment so that the worker uses `per_rank`:
// OMP_NUM_THREADS and VOLT_NUM_THREADS_SOURCE, or, when the user chose, nothing but an empty
// VOLT_NUM_THREADS_SOURCE (a stale one inherited from outside must not relabel their choice).
std::map<std::string, std::string> worker_thread_environment(const ThreadChoice& per_rank);

// Sets LibTorch's intra-op and inter-op thread counts. Call once, before any parallel work
// starts; the inter-op count cannot change after that (LibTorch refuses), which is logged.
void apply_threads(const ThreadChoice& choice);

}  // namespace volt::host
