// Which thread count Volt chooses and why: Volt's option, then OMP_NUM_THREADS (the user's, an
// external launcher's, or Volt's launcher's with its reason), then SLURM_CPUS_PER_TASK, then the
// allowed CPUs shared by the node's ranks; what the launcher hands its workers; and that
// applying a choice sets LibTorch's count (in a child, so this process keeps its own).
#include "runtime/intra_op_threads.hpp"

#include "support/fake_env.hpp"
#include "support/require_error.hpp"

#include <catch2/catch.hpp>

#include <ATen/Parallel.h>

#include <sys/wait.h>
#include <unistd.h>

#include <map>

using volt::host::choose_threads;
using volt::host::CpuAllowance;
using volt::host::ThreadChoice;
using volt::test::fake_env;

namespace {

const CpuAllowance kTwo{2, "2 CPUs allowed by affinity"};
const CpuAllowance kEight{8, "8 CPUs allowed by the cgroup CPU quota (f: 800000 100000; 64 in the affinity mask)"};

}  // namespace

TEST_CASE("by default one process uses every CPU it may use", "[runtime][threads]") {
  ThreadChoice c = choose_threads(std::nullopt, fake_env({}), kTwo, 1);
  CHECK(c.threads == 2);
  CHECK(c.describe() == "2 threads: 2 CPUs allowed by affinity");
  CHECK_FALSE(c.chosen_by_user);
  CHECK(c.warning.empty());
  CHECK(choose_threads(std::nullopt, fake_env({}), {1, "1 CPU allowed by affinity"}, 1).describe() ==
        "1 thread: 1 CPU allowed by affinity");
  // A quota decides when it is the tighter limit.
  CHECK(choose_threads(std::nullopt, fake_env({}), kEight, 1).threads == 8);
}

TEST_CASE("ranks on one node share its CPUs", "[runtime][threads]") {
  ThreadChoice c = choose_threads(std::nullopt, fake_env({}), kEight, 2);
  CHECK(c.threads == 4);
  CHECK(c.source == kEight.reason + ", shared by 2 local ranks");
  CHECK(choose_threads(std::nullopt, fake_env({}), kTwo, 2).describe() ==
        "1 thread: 2 CPUs allowed by affinity, shared by 2 local ranks");
  // More ranks than CPUs: one thread each, never zero.
  CHECK(choose_threads(std::nullopt, fake_env({}), kTwo, 3).threads == 1);
  // Under SLURM each task is given its CPUs.
  CHECK(choose_threads(std::nullopt, fake_env({{"SLURM_CPUS_PER_TASK", "3"}}), kEight, 2).describe() ==
        "3 threads: SLURM_CPUS_PER_TASK");
  // ... but SLURM_CPUS_PER_TASK alone, for one process, is not a reason to use fewer CPUs.
  CHECK(choose_threads(std::nullopt, fake_env({{"SLURM_CPUS_PER_TASK", "3"}}), kEight, 1).threads == 8);
}

TEST_CASE("OMP_NUM_THREADS wins over the default, and Volt's option over both", "[runtime][threads]") {
  ThreadChoice omp = choose_threads(std::nullopt, fake_env({{"OMP_NUM_THREADS", "1"}}), kTwo, 1);
  CHECK(omp.describe() == "1 thread: OMP_NUM_THREADS");
  CHECK(omp.chosen_by_user);
  // torchrun's 1 per rank is respected, and OpenMP's list form takes the outer level.
  CHECK(choose_threads(std::nullopt, fake_env({{"OMP_NUM_THREADS", "1"}, {"SLURM_CPUS_PER_TASK", "4"}}),
                       kEight, 2).threads == 1);
  CHECK(choose_threads(std::nullopt, fake_env({{"OMP_NUM_THREADS", "4,2"}}), kEight, 1).threads == 4);
  // An empty variable is unset.
  CHECK(choose_threads(std::nullopt, fake_env({{"OMP_NUM_THREADS", ""}}), kTwo, 1).threads == 2);

  ThreadChoice option = choose_threads(1, fake_env({{"OMP_NUM_THREADS", "2"}}), kTwo, 1);
  CHECK(option.describe() == "1 thread: --trainer.num_threads");
  CHECK(option.chosen_by_user);
}

TEST_CASE("Volt's launcher's OMP_NUM_THREADS carries its reason", "[runtime][threads]") {
  ThreadChoice per_rank = choose_threads(std::nullopt, fake_env({}), kTwo, 2);
  auto env = volt::host::worker_thread_environment(per_rank);
  CHECK(env == std::map<std::string, std::string>{
                   {"OMP_NUM_THREADS", "1"},
                   {"VOLT_NUM_THREADS_SOURCE", "2 CPUs allowed by affinity, shared by 2 local ranks"}});
  // The worker sees what the launcher set and reports the launcher's reason.
  ThreadChoice worker = choose_threads(std::nullopt, fake_env(env), kTwo, 2);
  CHECK(worker.describe() == "1 thread: 2 CPUs allowed by affinity, shared by 2 local ranks");
  CHECK_FALSE(worker.chosen_by_user);

  // The user's OMP_NUM_THREADS goes through untouched, and a stale reason is cleared.
  ThreadChoice user = choose_threads(std::nullopt, fake_env({{"OMP_NUM_THREADS", "2"}}), kTwo, 2);
  auto user_env = volt::host::worker_thread_environment(user);
  CHECK(user_env == std::map<std::string, std::string>{{"VOLT_NUM_THREADS_SOURCE", ""}});
  CHECK(choose_threads(std::nullopt, fake_env({{"OMP_NUM_THREADS", "2"}, {"VOLT_NUM_THREADS_SOURCE", ""}}),
                       kTwo, 2).describe() == "2 threads: OMP_NUM_THREADS");
}

TEST_CASE("more threads than allowed CPUs are kept, with a warning", "[runtime][threads]") {
  ThreadChoice c = choose_threads(std::nullopt, fake_env({{"OMP_NUM_THREADS", "2"}}), kTwo, 2);
  CHECK(c.threads == 2);
  CHECK(c.warning == "2 threads from OMP_NUM_THREADS is more than the 1 CPU this process may use "
                     "(2 CPUs allowed by affinity, shared by 2 local ranks); training will be "
                     "slower than with fewer threads");
  CHECK(choose_threads(4, fake_env({}), kTwo, 1).warning.find("4 threads from --trainer.num_threads") == 0);
  CHECK(choose_threads(2, fake_env({}), kTwo, 1).warning.empty());
}

TEST_CASE("thread counts that are not positive integers are refused by name", "[runtime][threads]") {
  for (const std::string bad : {"abc", "0", "-2", "2.5", "1e3", "99999999"}) {
    INFO(bad);
    volt::test::require_error([&] { choose_threads(std::nullopt, fake_env({{"OMP_NUM_THREADS", bad}}), kTwo, 1); },
                              {"OMP_NUM_THREADS='" + bad + "' is not a positive number of threads"});
  }
  volt::test::require_error(
      [&] { choose_threads(std::nullopt, fake_env({{"SLURM_CPUS_PER_TASK", "x"}}), kTwo, 2); },
      {"SLURM_CPUS_PER_TASK='x'"});
  volt::test::require_error([&] { choose_threads(0, fake_env({}), kTwo, 1); },
                            {"trainer.num_threads=0 must be at least 1"});
}

// The inter-op count can be set once per process, before its pool starts, so it is checked in
// a fresh `volt` (tests/e2e/thread_choice_test.cpp); here, after other tests, only intra-op.
TEST_CASE("applying a choice sets LibTorch's intra-op threads", "[runtime][threads]") {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    volt::host::apply_threads(ThreadChoice{3, "test", true, ""});
    bool ok = at::get_num_threads() == 3;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
