// One run of either program: its command line, environment, fork/exec, and the timings it
// wrote (step_timer's JSON, or the hand-written loop's in the same format).
#pragma once

#include "options.hpp"

#include <string>
#include <vector>

namespace volt::bench::overhead {

enum class Program { Volt, Hand };

// Both programs read the thread's CPU clock this many times a run (every steps/N steps), not
// every step: the read is a system call, and on a VM with page-table isolation and no PCID each
// one flushes the TLB, which then costs every page the step touches again (12 us of a 64 us
// step in one measurement, and more for the program that touches more pages).
constexpr int64_t kCpuClockReadsPerRun = 40;

const char* program_name(Program p);

// Phases of a step, between two consecutive step starts (see step_timer.cpp).
constexpr int kPhaseCount = 5;
constexpr const char* kPhaseLabels[kPhaseCount] = {"fetch (batch_end .. next start)",
                                                   "forward (start .. before_zero_grad)",
                                                   "zero_grad (.. before_backward)",
                                                   "backward (.. after_backward)",
                                                   "optimizer (.. batch_end)"};

struct RunResult {
  bool ok = false;
  std::string error;
  std::vector<double> step_ms;      // wall time per step, after warm-up
  std::vector<double> step_cpu_ms;  // thread CPU time per step, per block of steps after warm-up
  double startup_ms = 0;            // fork to first step, wall time
  double startup_cpu_ms = -1;       // process CPU time at the first step (-1: not reported)
  double median_ms = 0;
  std::vector<double> phase_ms[kPhaseCount];  // with --phases, after warm-up
};

// The command line of one run of `p` writing its timings to `output` (volt's logs under `root`).
std::vector<std::string> command_line(Program p, const Options& o, const BenchConfig& c,
                                      int64_t steps, const std::string& output,
                                      const std::string& root);

// Runs `p` once for `steps` steps in o.work_dir, files named after `tag`.
RunResult run_program(Program p, const Options& o, const BenchConfig& c, int64_t steps,
                      const std::string& tag);

}  // namespace volt::bench::overhead
