// The real `volt` binary chooses LibTorch's threads from the CPUs it may use (issue 22):
//  - under `taskset -c <one CPU>` it uses 1 thread, with every allowed CPU as many as there are;
//  - OMP_NUM_THREADS wins over that, and --trainer.num_threads over both;
//  - under ddp with 2 ranks each rank gets its share, and an OMP_NUM_THREADS from outside is
//    kept for every rank;
//  - the choice and its reason are in the log, and the thread_probe test callback reads back,
//    from LibTorch inside the training process, the intra-op and inter-op counts it set.
// The suite runs with OMP_NUM_THREADS=1 (tests/CMakeLists.txt); these children run without it.
#include "runtime/cpu_allowance.hpp"
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <sched.h>

#include <regex>

namespace volt::trainer_test {
namespace {

const std::string kVolt = VOLT_TEST_VOLT_BINARY;

std::vector<std::string> fit_args(const fs::path& root, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{
      kVolt, "fit", "--model=mlp", "--model.in_features=8", "--model.hidden_sizes=[16]",
      "--model.num_classes=3", "--data=synthetic", "--data.shape=[8]", "--data.size=64",
      "--data.val_size=16", "--data.test_size=16", "--data.num_classes=3", "--data.batch_size=16",
      "--trainer.max_epochs=1", "--trainer.enable_progress_bar=false",
      "--trainer.enable_model_summary=false", "--trainer.default_root_dir=" + root.string(),
      "--logger=false", "--plugin-dir=" + extra_plugin_dir().string(), "--callbacks+=thread_probe"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string describe(const ProcessResult& r) {
  return "exit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

ProcessResult run_volt(const TempDir& tmp, const std::string& tag, std::vector<std::string> args,
                       const std::vector<std::string>& env = {}) {
  fs::path dir = tmp / tag;
  fs::create_directories(dir);
  return run_process(args, dir, dir, env, {"OMP_NUM_THREADS", "MKL_NUM_THREADS", "SLURM_CPUS_PER_TASK"});
}

// The intra-op and inter-op counts thread_probe printed for `rank`; {-1, -1} when absent.
std::pair<int, int> probed(const ProcessResult& r, int rank) {
  std::smatch m;
  std::regex line("thread_probe: rank " + std::to_string(rank) + " intra-op ([0-9]+) inter-op ([0-9]+)");
  if (!std::regex_search(r.err, m, line)) return {-1, -1};
  return {std::stoi(m[1]), std::stoi(m[2])};
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  REQUIRE(::sched_getaffinity(0, sizeof(set), &set) == 0);
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

TEST_CASE("volt uses the CPUs its affinity mask allows", "[e2e][threads]") {
  TempDir tmp("threads-affinity");
  const std::vector<int> cpus = allowed_cpus();
  const auto quota = host::cgroup_cpu_quota(host::read_small_file);

  ProcessResult pinned = run_volt(tmp, "one", [&] {
    auto a = fit_args(tmp / "one/root");
    a.insert(a.begin(), {"/usr/bin/taskset", "-c", std::to_string(cpus.front())});
    return a;
  }());
  INFO(describe(pinned));
  REQUIRE(pinned.exit_code == 0);
  CHECK(has(pinned.out, "LibTorch uses 1 thread: 1 CPU allowed by affinity"));
  CHECK(probed(pinned, 0) == std::pair<int, int>{1, 1});

  ProcessResult all = run_volt(tmp, "all", fit_args(tmp / "all/root"));
  INFO(describe(all));
  REQUIRE(all.exit_code == 0);
  if (quota && std::ceil(quota->cpus) < static_cast<double>(cpus.size())) {
    CHECK(has(all.out, "allowed by the cgroup CPU quota (" + quota->file));
  } else {
    const size_t n = cpus.size();
    CHECK(has(all.out, "LibTorch uses " + plural(n, "thread", "threads") + ": " +
                           plural(n, "CPU", "CPUs") + " allowed by affinity"));
    CHECK(probed(all, 0) == std::pair<int, int>{static_cast<int>(n), static_cast<int>(n)});
  }
}

TEST_CASE("OMP_NUM_THREADS and --trainer.num_threads decide over the CPUs", "[e2e][threads]") {
  TempDir tmp("threads-chosen");
  ProcessResult omp = run_volt(tmp, "omp", fit_args(tmp / "omp/root"), {"OMP_NUM_THREADS=3"});
  INFO(describe(omp));
  REQUIRE(omp.exit_code == 0);
  CHECK(has(omp.out, "LibTorch uses 3 threads: OMP_NUM_THREADS"));
  CHECK(probed(omp, 0) == std::pair<int, int>{3, 3});

  ProcessResult option = run_volt(tmp, "option", fit_args(tmp / "option/root", {"--trainer.num_threads=2"}),
                                  {"OMP_NUM_THREADS=3"});
  INFO(describe(option));
  REQUIRE(option.exit_code == 0);
  CHECK(has(option.out, "LibTorch uses 2 threads: --trainer.num_threads"));
  CHECK(probed(option, 0) == std::pair<int, int>{2, 2});

  ProcessResult bad = run_volt(tmp, "bad", fit_args(tmp / "bad/root"), {"OMP_NUM_THREADS=two"});
  INFO(describe(bad));
  CHECK(bad.exit_code == 1);
  CHECK(has(bad.err, "OMP_NUM_THREADS='two' is not a positive number of threads"));
  ProcessResult zero = run_volt(tmp, "zero", fit_args(tmp / "zero/root", {"--trainer.num_threads=0"}));
  CHECK(zero.exit_code == 2);
  CHECK(has(zero.err, "num_threads"));
}

#ifdef VOLT_TEST_HAVE_DDP
TEST_CASE("ddp ranks on one node share its CPUs, and an outside OMP_NUM_THREADS is kept",
          "[e2e][threads][ddp]") {
  TempDir tmp("threads-ddp");
  const size_t n = allowed_cpus().size();
  const auto quota = host::cgroup_cpu_quota(host::read_small_file);
  const std::vector<std::string> ddp{"--strategy=ddp", "--trainer.devices=2", "--data.batch_size=8"};

  ProcessResult shared = run_volt(tmp, "shared", fit_args(tmp / "shared/root", ddp));
  INFO(describe(shared));
  REQUIRE(shared.exit_code == 0);
  if (!quota || std::ceil(quota->cpus) >= static_cast<double>(n)) {
    const size_t share = std::max<size_t>(1, n / 2);
    const std::string why = plural(share, "thread", "threads") + ": " + plural(n, "CPU", "CPUs") +
                            " allowed by affinity, shared by 2 local ranks";
    CHECK(has(shared.out, "Each of the 2 workers uses " + why));
    CHECK(has(shared.out, "Rank 0: LibTorch uses " + why));
    CHECK(has(shared.out, "Rank 1: LibTorch uses " + why));
    for (int rank : {0, 1}) CHECK(probed(shared, rank) == std::pair<int, int>{int(share), int(share)});
  }

  ProcessResult outside = run_volt(tmp, "outside", fit_args(tmp / "outside/root", ddp), {"OMP_NUM_THREADS=1"});
  INFO(describe(outside));
  REQUIRE(outside.exit_code == 0);
  CHECK(has(outside.out, "Rank 0: LibTorch uses 1 thread: OMP_NUM_THREADS"));
  CHECK(has(outside.out, "Rank 1: LibTorch uses 1 thread: OMP_NUM_THREADS"));
  for (int rank : {0, 1}) CHECK(probed(outside, rank) == std::pair<int, int>{1, 1});
}
#endif

}  // namespace volt::trainer_test
