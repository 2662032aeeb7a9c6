#include "report.hpp"

#include "../common/volt_runs.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace volt::bench::overhead {

ProgramStats summarize(const std::vector<RunResult>& runs) {
  ProgramStats s;
  std::vector<double> all, medians, startups, cpu_all, cpu_startups;
  s.has_cpu = true;
  for (const auto& r : runs) {
    if (!r.ok) continue;
    ++s.runs_ok;
    all.insert(all.end(), r.step_ms.begin(), r.step_ms.end());
    medians.push_back(r.median_ms);
    startups.push_back(r.startup_ms);
    s.has_cpu = s.has_cpu && !r.step_cpu_ms.empty() && r.startup_cpu_ms >= 0;
    cpu_all.insert(cpu_all.end(), r.step_cpu_ms.begin(), r.step_cpu_ms.end());
    cpu_startups.push_back(r.startup_cpu_ms);
  }
  if (s.runs_ok == 0) {
    s.has_cpu = false;
    return s;
  }
  if (s.has_cpu) {
    s.cpu_step_median_ms = median(cpu_all);
    s.cpu_startup_median_ms = median(cpu_startups);
  }
  for (int ph = 0; ph < kPhaseCount; ++ph) {
    std::vector<double> v;
    for (const auto& r : runs)
      if (r.ok) v.insert(v.end(), r.phase_ms[ph].begin(), r.phase_ms[ph].end());
    if (v.empty()) continue;
    s.has_phases = true;
    s.phase_median_ms[ph] = median(v);
  }
  s.step_median_ms = median(all);
  s.rep_min_ms = *std::min_element(medians.begin(), medians.end());
  s.rep_max_ms = *std::max_element(medians.begin(), medians.end());
  s.startup_median_ms = median(startups);
  return s;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  if (!(in >> a >> b >> c)) return "unknown";
  return a + " " + b + " " + c;
}

namespace {

void print_rule(int width) { std::printf("%s\n", std::string(static_cast<size_t>(width), '-').c_str()); }

}  // namespace

void print_report(const Options& o, const std::vector<ConfigResult>& results,
                  const std::string& load_before) {
  std::printf("\nvolt fit vs hand-written LibTorch loop: 1 thread each, %d run(s) of each program "
              "per config, interleaved, first %lld steps of each run dropped\n",
              o.reps, static_cast<long long>(o.warmup));
  std::printf("  volt:         %s\n  hand-written: %s\n", o.volt.c_str(), o.handwritten.c_str());
  std::printf("  load average: %s before, %s after (%u CPUs online)\n\n", load_before.c_str(),
              load_average().c_str(), static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN)));

  std::printf("Per-step time: median over all kept steps of all runs (run medians min..max)\n");
  const int w1 = 130;
  print_rule(w1);
  std::printf("%-40s %6s  %-28s %-28s %6s %7s  %s\n", "config", "steps", "volt ms/step",
              "hand-written ms/step", "ratio", "target", "result");
  print_rule(w1);
  for (const auto& r : results) {
    const auto& c = r.config;
    char volt[64], hand[64];
    std::snprintf(volt, sizeof volt, "%.4f (%.4f..%.4f)", r.volt.step_median_ms, r.volt.rep_min_ms,
                  r.volt.rep_max_ms);
    std::snprintf(hand, sizeof hand, "%.4f (%.4f..%.4f)", r.hand.step_median_ms, r.hand.rep_min_ms,
                  r.hand.rep_max_ms);
    bool have = r.volt.runs_ok > 0 && r.hand.runs_ok > 0 && r.hand.step_median_ms > 0;
    double ratio = have ? r.volt.step_median_ms / r.hand.step_median_ms : 0;
    char ratio_text[16], target[16];
    std::snprintf(ratio_text, sizeof ratio_text, "%.3f", ratio);
    std::snprintf(target, sizeof target, "<=%.2f", c.ratio_target);
    std::printf("%-40s %6lld  %-28s %-28s %6s %7s  %s\n", c.label.c_str(),
                static_cast<long long>(c.steps), have ? volt : "n/a", have ? hand : "n/a",
                have ? ratio_text : "n/a", target,
                !have ? "ERROR" : ratio <= c.ratio_target ? "PASS" : "MISS");
  }
  print_rule(w1);

  // On a machine that switches between a fast and a slow spell (shared hosts do), the pooled
  // median above follows how many runs of each program fell into each spell; the paired ratio
  // compares runs made seconds apart.
  std::printf("\nPaired runs: each repetition's volt median / the hand-written median beside it "
              "(median of the pairs, min..max)\n");
  const int w5 = 92;
  print_rule(w5);
  std::printf("%-40s %6s  %-24s %7s  %s\n", "config", "pairs", "ratio", "target", "result");
  print_rule(w5);
  for (const auto& r : results) {
    char target[16], text[64];
    std::snprintf(target, sizeof target, "<=%.2f", r.config.ratio_target);
    if (r.paired_ratios.empty()) {
      std::printf("%-40s %6d  %-24s %7s  %s\n", r.config.label.c_str(), 0, "n/a", target, "ERROR");
      continue;
    }
    double mid = median(r.paired_ratios);
    auto [lo, hi] = std::minmax_element(r.paired_ratios.begin(), r.paired_ratios.end());
    std::snprintf(text, sizeof text, "%.3f (%.3f..%.3f)", mid, *lo, *hi);
    std::printf("%-40s %6zu  %-24s %7s  %s\n", r.config.label.c_str(), r.paired_ratios.size(), text,
                target, mid <= r.config.ratio_target ? "PASS" : "MISS");
  }
  print_rule(w5);

  std::printf("\nStartup: fork/exec to the start of the first training step (median over runs)\n");
  const int w2 = 92;
  print_rule(w2);
  std::printf("%-40s %10s %12s %10s %8s  %s\n", "config", "volt ms", "hand ms", "diff ms", "target",
              "result");
  print_rule(w2);
  for (const auto& r : results) {
    bool have = r.volt.runs_ok > 0 && r.hand.runs_ok > 0;
    double diff = r.volt.startup_median_ms - r.hand.startup_median_ms;
    char target[16];
    std::snprintf(target, sizeof target, "<=%.0f", o.startup_target_ms);
    if (have)
      std::printf("%-40s %10.1f %12.1f %+10.1f %8s  %s\n", r.config.label.c_str(),
                  r.volt.startup_median_ms, r.hand.startup_median_ms, diff, target,
                  diff <= o.startup_target_ms ? "PASS" : "MISS");
    else
      std::printf("%-40s %10s %12s %10s %8s  %s\n", r.config.label.c_str(), "n/a", "n/a", "n/a",
                  target, "ERROR");
  }
  print_rule(w2);

  // The same in CPU time: on a shared machine, wall time also counts the time the child waited
  // for a core; CPU time does not (cache and memory-bandwidth interference remain).
  std::printf("\nCPU time (not counting waits for a core): per step, the training thread's "
              "(median over blocks of steps/%lld\nsteps after the warm-up); at the first step, the "
              "whole process's (median over runs)\n",
              static_cast<long long>(kCpuClockReadsPerRun));
  const int w3 = 118;
  print_rule(w3);
  std::printf("%-40s %10s %10s %7s %7s %6s  %11s %11s %9s\n", "config", "volt ms", "hand ms",
              "ratio", "target", "", "volt start", "hand start", "diff");
  print_rule(w3);
  for (const auto& r : results) {
    bool have = r.volt.has_cpu && r.hand.has_cpu && r.hand.cpu_step_median_ms > 0;
    if (!have) {
      std::printf("%-40s %10s\n", r.config.label.c_str(), "n/a");
      continue;
    }
    double ratio = r.volt.cpu_step_median_ms / r.hand.cpu_step_median_ms;
    double diff = r.volt.cpu_startup_median_ms - r.hand.cpu_startup_median_ms;
    char target[16];
    std::snprintf(target, sizeof target, "<=%.2f", r.config.ratio_target);
    std::printf("%-40s %10.4f %10.4f %7.3f %7s %6s  %11.1f %11.1f %+9.1f\n",
                r.config.label.c_str(), r.volt.cpu_step_median_ms, r.hand.cpu_step_median_ms,
                ratio, target, ratio <= r.config.ratio_target ? "PASS" : "MISS",
                r.volt.cpu_startup_median_ms, r.hand.cpu_startup_median_ms, diff);
  }
  print_rule(w3);

  for (const auto& r : results) {
    if (!r.volt.has_phases || !r.hand.has_phases) continue;
    std::printf("\nPhases of a step, %s: median us over all kept steps (wall time)\n",
                r.config.label.c_str());
    const int w4 = 80;
    print_rule(w4);
    std::printf("%-40s %11s %11s %11s\n", "phase (step_timer hook points)", "volt us", "hand us",
                "diff us");
    print_rule(w4);
    double sv = 0, sh = 0;
    for (int ph = 0; ph < kPhaseCount; ++ph) {
      double v = r.volt.phase_median_ms[ph] * 1e3, h = r.hand.phase_median_ms[ph] * 1e3;
      sv += v;
      sh += h;
      std::printf("%-40s %11.1f %11.1f %+11.1f\n", kPhaseLabels[ph], v, h, v - h);
    }
    std::printf("%-40s %11.1f %11.1f %+11.1f\n", "sum of the phase medians", sv, sh, sv - sh);
    print_rule(w4);
  }

  for (const auto& r : results)
    for (const auto& e : r.errors) std::printf("\nERROR %s\n", e.c_str());
}

}  // namespace volt::bench::overhead
