// bench/main_job: the README's main job with Volt's default settings against the hand-written
// LibTorch loop of the same work (main_job_loop.cpp) at the thread count Volt chose, and, as
// the "before" row, Volt at one thread (LibTorch's default on Debian before Volt chose threads).
// Each repetition runs every program once, in an order that alternates between repetitions;
// wall time is from start to exit of the process, as a user sees it.
//   volt_bench_main_job [--reps=3] [--single_thread=1] [--epochs=2]
#include "../common/volt_runs.hpp"

#include <sched.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Run {
  double wall_s = 0;
  int threads = 0;
  double test_acc = -1;
};

// Starts argv in cwd with the environment less OMP_NUM_THREADS, MKL_NUM_THREADS and VOLT_*,
// plus `extra`; waits and returns the wall time and what it printed.
std::pair<double, volt::bench::Output> run_timed(const std::vector<std::string>& argv, const fs::path& cwd,
                                                 const std::vector<std::string>& extra) {
  auto start = std::chrono::steady_clock::now();
  volt::bench::Output out = volt::bench::finish(volt::bench::start_program(argv, cwd / "output.txt", extra, cwd));
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (out.status != 0) {
    std::fprintf(stderr, "%s failed (exit %d):\n%s\n", argv[0].c_str(), out.status, out.text.c_str());
    std::exit(1);
  }
  return {wall, out};
}

// The last value of `column` in a metrics.csv.
double last_csv_value(const fs::path& csv, const std::string& column) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  for (size_t start = 0, comma; start <= line.size(); start = comma + 1) {
    comma = line.find(',', start);
    if (comma == std::string::npos) comma = line.size();
    header.push_back(line.substr(start, comma - start));
  }
  double value = -1;
  while (std::getline(in, line)) {
    size_t col = 0, start = 0;
    for (size_t comma; col < header.size(); ++col, start = comma + 1) {
      comma = line.find(',', start);
      if (comma == std::string::npos) comma = line.size();
      if (header[col] == column && comma > start) value = std::stod(line.substr(start, comma - start));
      if (comma == line.size()) break;
    }
  }
  return value;
}

Run run_volt(const fs::path& work, int epochs, bool single_thread) {
  fs::remove_all(work);
  fs::create_directories(work);
  auto [wall, out] = run_timed({VOLT_BINARY, "fit", "--model=cnn", "--data=fashion_mnist",
                                "--trainer.max_epochs=" + std::to_string(epochs),
                                "--seed_everything=42", "--test-after-fit"},
                               work, single_thread ? std::vector<std::string>{"OMP_NUM_THREADS=1"}
                                                   : std::vector<std::string>{});
  Run r;
  r.wall_s = wall;
  std::smatch m;
  if (std::regex_search(out.text, m, std::regex("LibTorch uses ([0-9]+) thread")))
    r.threads = std::stoi(m[1]);
  r.test_acc = last_csv_value(work / "lightning_logs" / "version_0" / "metrics.csv", "test_acc");
  return r;
}

Run run_loop(const fs::path& work, int epochs, int threads) {
  fs::remove_all(work);
  fs::create_directories(work);
  auto [wall, out] = run_timed({VOLT_BENCH_MAIN_JOB_LOOP, "--threads=" + std::to_string(threads),
                                "--epochs=" + std::to_string(epochs)},
                               work, {});
  Run r;
  r.wall_s = wall;
  std::smatch m;
  if (std::regex_search(out.text, m, std::regex("\"threads\": ([0-9]+).*\"test_acc\": ([0-9.]+)"))) {
    r.threads = std::stoi(m[1]);
    r.test_acc = std::stod(m[2]);
  }
  return r;
}

int affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return ::sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
}

void print_row(const char* name, const std::vector<Run>& runs) {
  std::vector<double> walls;
  for (const auto& r : runs) walls.push_back(r.wall_s);
  std::printf("%-40s %7d %8.2f %8.2f %8.2f %9.4f\n", name, runs.front().threads,
              volt::bench::median(walls), *std::min_element(walls.begin(), walls.end()),
              *std::max_element(walls.begin(), walls.end()), runs.back().test_acc);
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = std::stoi(volt::bench::flag(argc, argv, "--reps", "3"));
  const int epochs = std::stoi(volt::bench::flag(argc, argv, "--epochs", "2"));
  const bool single = volt::bench::flag(argc, argv, "--single_thread", "1") == "1";
  const fs::path work = fs::temp_directory_path() / ("volt-bench-main-job-" + std::to_string(::getpid()));
  std::printf("# bench/main_job: the README's main job (cnn, fashion_mnist, %d epochs, test after fit),\n"
              "# wall seconds per process, %d interleaved repetitions; %d CPUs in this process's affinity mask\n",
              epochs, reps, affinity_cpus());
  std::vector<Run> volt, loop, before;
  int threads = 0;
  for (int rep = 0; rep < reps; ++rep) {
    // Volt first in even repetitions (its log tells the loop how many threads to use).
    for (int slot = 0; slot < 2; ++slot) {
      if ((slot == 0) == (rep % 2 == 0)) {
        volt.push_back(run_volt(work / "volt", epochs, false));
        threads = volt.back().threads;
        std::fprintf(stderr, "rep %d: volt %.2f s (%d threads)\n", rep, volt.back().wall_s, threads);
      } else {
        loop.push_back(run_loop(work / "loop", epochs, threads > 0 ? threads : 1));
        std::fprintf(stderr, "rep %d: loop %.2f s\n", rep, loop.back().wall_s);
      }
    }
    if (single) {
      before.push_back(run_volt(work / "before", epochs, true));
      std::fprintf(stderr, "rep %d: volt, 1 thread %.2f s\n", rep, before.back().wall_s);
    }
  }
  fs::remove_all(work);
  std::printf("%-40s %7s %8s %8s %8s %9s\n", "program", "threads", "median", "min", "max", "test_acc");
  print_row("volt fit, default settings", volt);
  print_row("hand-written LibTorch loop, same threads", loop);
  if (single) print_row("volt fit, OMP_NUM_THREADS=1 (before)", before);
  std::vector<double> v, l, pairs;
  for (int i = 0; i < reps; ++i) {
    v.push_back(volt[i].wall_s);
    l.push_back(loop[i].wall_s);
    pairs.push_back(volt[i].wall_s / loop[i].wall_s);
  }
  std::printf("volt / loop wall time: %.3f (medians), %.3f (median of paired repetitions, range %.3f-%.3f)\n",
              volt::bench::median(v) / volt::bench::median(l), volt::bench::median(pairs),
              *std::min_element(pairs.begin(), pairs.end()), *std::max_element(pairs.begin(), pairs.end()));
  if (single) {
    std::vector<double> b;
    for (const auto& r : before) b.push_back(r.wall_s);
    std::printf("volt default / volt at 1 thread: %.3f\n", volt::bench::median(v) / volt::bench::median(b));
  }
  return 0;
}
