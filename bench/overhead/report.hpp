// What volt_bench_overhead prints: the runs of one config summed up, and the tables.
#pragma once

#include "child_run.hpp"

#include <string>
#include <vector>

namespace volt::bench::overhead {

struct ProgramStats {
  int runs_ok = 0;
  double step_median_ms = 0;    // over all kept steps of all runs
  double rep_min_ms = 0;        // spread of the per-run medians
  double rep_max_ms = 0;
  double startup_median_ms = 0; // over runs
  bool has_cpu = false;         // both CPU-time fields reported by every run
  double cpu_step_median_ms = 0;
  double cpu_startup_median_ms = 0;
  bool has_phases = false;
  double phase_median_ms[kPhaseCount] = {};
};

struct ConfigResult {
  BenchConfig config;
  ProgramStats volt;
  ProgramStats hand;
  // Each repetition's volt run median over the hand-written run's beside it (ABBA neighbours,
  // seconds apart): a slow spell of the machine that covers both cancels out of the ratio.
  std::vector<double> paired_ratios;
  std::vector<std::string> errors;
};


// The statistics of one program's runs of a config (failed runs left out).
ProgramStats summarize(const std::vector<RunResult>& runs);

// "1.23 0.98 0.75" from /proc/loadavg: how busy the machine was (other processes skew wall time).
std::string load_average();

// The tables: per-step time, paired runs, startup, CPU time, and with --phases the phases.
void print_report(const Options& o, const std::vector<ConfigResult>& results,
                  const std::string& load_before);

}  // namespace volt::bench::overhead
