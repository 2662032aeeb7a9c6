// volt_bench_overhead: what `volt fit` costs over a hand-written LibTorch loop doing the same
// training (bench/overhead/handwritten_loop.cpp), measured side by side in one run.
//
// For each config both programs run alternately (volt, hand, hand, volt, ...: noise and drift
// hit both), single-threaded (OMP_NUM_THREADS=1, MKL_NUM_THREADS=1). Each child reports the
// CLOCK_MONOTONIC time at the start of every training step (Volt through the step_timer
// callback, at on_train_batch_start); a step is the time between consecutive starts, so it
// includes everything the loop does: data fetch, hooks, logging, forward, backward, optimizer.
// The first --warmup steps of each run are dropped and the median is taken over the steps of
// all repetitions. Startup is from just before fork() to the start of the first step.
// Both use the same malloc settings: volt sets them itself (host/runtime/malloc_tuning.hpp),
// the hand-written loop gets them through glibc's MALLOC_*_ variables, so the comparison is of
// the framework's work, not of two heap layouts.
//
// A benchmark prints; it does not fail a build: the exit status is 0 whatever the numbers
// (PASS/MISS is printed per target), 2 only for a bad command line.
#include "child_run.hpp"
#include "options.hpp"
#include "report.hpp"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace volt::bench::overhead {
namespace {

// Runs both programs o.reps times each, alternately, and sums up.
ConfigResult run_config(const Options& o, const BenchConfig& c) {
  ConfigResult result{c, {}, {}, {}};
  std::vector<RunResult> volt_runs, hand_runs;
  for (int rep = 0; rep < o.reps; ++rep) {
    // ABBA order: volt first on even repetitions, hand-written first on odd ones.
    Program order[2] = {Program::Volt, Program::Hand};
    if (rep % 2 == 1) std::swap(order[0], order[1]);
    for (Program p : order) {
      std::string tag = c.key + "_" + program_name(p) + "_" + std::to_string(rep);
      RunResult r = run_program(p, o, c, c.steps, tag);
      if (r.ok) {
        std::fprintf(stderr, "  (%s) rep %d/%d %-4s  median %8.4f ms/step  startup %7.1f ms\n",
                     c.key.c_str(), rep + 1, o.reps, program_name(p), r.median_ms, r.startup_ms);
      } else {
        std::fprintf(stderr, "  (%s) rep %d/%d %-4s  FAILED\n", c.key.c_str(), rep + 1, o.reps,
                     program_name(p));
        result.errors.push_back("(" + c.key + ") " + program_name(p) + " rep " +
                                std::to_string(rep + 1) + ": " + r.error);
      }
      (p == Program::Volt ? volt_runs : hand_runs).push_back(std::move(r));
    }
  }
  result.volt = summarize(volt_runs);
  result.hand = summarize(hand_runs);
  for (size_t i = 0; i < volt_runs.size() && i < hand_runs.size(); ++i)
    if (volt_runs[i].ok && hand_runs[i].ok && hand_runs[i].median_ms > 0)
      result.paired_ratios.push_back(volt_runs[i].median_ms / hand_runs[i].median_ms);
  return result;
}

}  // namespace
}  // namespace volt::bench::overhead

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  using namespace volt::bench::overhead;
  Options o = parse_options(argc, argv);

  if (o.print_commands) {
    // Child command lines for profiling by hand; outputs go to --work-dir (default /tmp).
    fs::path dir = o.work_dir.empty() ? fs::path("/tmp") : fs::absolute(o.work_dir);
    for (const auto& c : make_configs(o)) {
      if (!o.only.empty() && o.only != c.key) continue;
      for (Program p : {Program::Volt, Program::Hand}) {
        std::string output = (dir / (c.key + "_" + program_name(p) + ".json")).string();
        std::vector<std::string> argv =
            command_line(p, o, c, c.steps, output, (dir / "volt_root").string());
        std::printf("# (%s) %s\nenv OMP_NUM_THREADS=1 MKL_NUM_THREADS=1", c.key.c_str(),
                    program_name(p));
        for (const auto& a : argv) std::printf(" '%s'", a.c_str());
        std::printf("\n");
      }
    }
    return 0;
  }

  bool made_work_dir = false;
  if (o.work_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "volt_bench_overhead.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("volt_bench_overhead: mkdtemp");
      return 0;
    }
    o.work_dir = tmpl;
    made_work_dir = true;
  } else {
    std::error_code ec;
    fs::create_directories(o.work_dir, ec);
  }
  o.work_dir = fs::absolute(o.work_dir).string();

  std::vector<BenchConfig> configs = make_configs(o);

  const std::string load_before = load_average();
  std::fprintf(stderr, "volt_bench_overhead: work folder %s\n", o.work_dir.c_str());
  // One short untimed run of each program first, so that neither pays for a cold page cache.
  {
    BenchConfig warm = configs.front();
    warm.key = "warmup";
    for (Program p : {Program::Volt, Program::Hand}) {
      RunResult r = run_program(p, o, warm, o.warmup + 5, std::string("warmup_") + program_name(p));
      if (!r.ok)
        std::fprintf(stderr, "warm-up run of %s failed: %s\n", program_name(p), r.error.c_str());
    }
  }

  std::vector<ConfigResult> results;
  for (const auto& c : configs) {
    if (!o.only.empty() && o.only != c.key) continue;
    results.push_back(run_config(o, c));
  }
  print_report(o, results, load_before);

  if (made_work_dir && !o.keep) {
    std::error_code ec;
    fs::remove_all(o.work_dir, ec);
  } else {
    std::printf("\nTimings and logs kept in %s\n", o.work_dir.c_str());
  }
  return 0;
}

