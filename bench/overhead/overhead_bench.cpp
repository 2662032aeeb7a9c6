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
#include "../../host/runtime/malloc_tuning.hpp"
#include "../common/volt_runs.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;

#ifndef VOLT_BINARY
#define VOLT_BINARY "volt"
#endif
#ifndef VOLT_BENCH_HANDWRITTEN
#define VOLT_BENCH_HANDWRITTEN "volt_bench_handwritten"
#endif
#ifndef VOLT_BENCH_PLUGIN_DIR
#define VOLT_BENCH_PLUGIN_DIR "bench/plugins"
#endif

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// --- configuration ---------------------------------------------------------------------------

struct BenchConfig {
  std::string key;    // "a", "b"
  std::string label;  // for the table
  int64_t in_features;
  std::vector<int64_t> hidden_sizes;
  int64_t num_classes;
  int64_t batch_size;
  int64_t steps;
  double ratio_target;
};

struct Options {
  std::string volt = VOLT_BINARY;
  std::string handwritten = VOLT_BENCH_HANDWRITTEN;
  std::vector<std::string> plugin_dirs{VOLT_BENCH_PLUGIN_DIR};
  int reps = 5;
  int64_t warmup = 10;
  int64_t steps_a = 2000;
  int64_t steps_b = 400;
  std::string only;  // "", "a" or "b"
  std::string work_dir;
  bool keep = false;
  bool phases = false;
  bool print_commands = false;
  double startup_target_ms = 100.0;
};

constexpr const char* kUsage = R"(usage: volt_bench_overhead [options]

Runs `volt fit` (mlp on synthetic data, sgd, logger/checkpointing/progress bar/model summary/
validation off, 1 thread) and a hand-written LibTorch loop doing the same work, alternately,
and prints the median ms per step, the ratio volt/hand-written and the time from process start
to the first training step.

options:
  --volt=PATH          volt host binary              (default: the one of this build)
  --handwritten=PATH   hand-written loop binary      (default: the one of this build)
  --plugin-dir=DIR     folder with the step_timer callback; repeatable (default: this build's
                       bench/plugins; the volt binary adds its own plugin folder itself)
  --reps=N             runs of each program per config            (default 5)
  --warmup=N           steps dropped at the start of each run     (default 10)
  --steps-a=N          training steps per run of config (a)       (default 2000)
  --steps-b=N          training steps per run of config (b)       (default 400)
  --only=a|b           run one config only
  --work-dir=DIR       where children write their timings and logs (default: a fresh folder
                       under $TMPDIR, removed at the end unless --keep)
  --keep               keep the work folder
  --print-commands     print the command line of each child (one run per program and config,
                       for profiling by hand) and exit
  --phases             also time the phases of each step (fetch, forward, zero_grad, backward,
                       optimizer) in both programs and print where the difference lies
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "volt_bench_overhead: " << message << "\n\n" << kUsage;
  std::exit(2);
}

int64_t parse_int(const std::string& key, const std::string& value, int64_t min) {
  try {
    size_t used = 0;
    int64_t v = std::stoll(value, &used);
    if (used == value.size() && v >= min) return v;
  } catch (const std::exception&) {
  }
  usage_error("--" + key + ": expected an integer >= " + std::to_string(min) + ", got '" +
              value + "'");
}

Options parse_options(int argc, char** argv) {
  Options o;
  bool dirs_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (arg == "--keep") {
      o.keep = true;
      continue;
    }
    if (arg == "--phases") {
      o.phases = true;
      continue;
    }
    if (arg == "--print-commands") {
      o.print_commands = true;
      continue;
    }
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos)
      usage_error("unexpected argument '" + arg + "' (options look like --key=value)");
    std::string key = arg.substr(2, eq - 2);
    std::string value = arg.substr(eq + 1);
    if (key == "volt") o.volt = value;
    else if (key == "handwritten") o.handwritten = value;
    else if (key == "plugin-dir") {
      if (!dirs_given) o.plugin_dirs.clear();
      dirs_given = true;
      o.plugin_dirs.push_back(value);
    } else if (key == "reps") o.reps = static_cast<int>(parse_int(key, value, 1));
    else if (key == "warmup") o.warmup = parse_int(key, value, 0);
    else if (key == "steps-a") o.steps_a = parse_int(key, value, 2);
    else if (key == "steps-b") o.steps_b = parse_int(key, value, 2);
    else if (key == "only") {
      if (value != "a" && value != "b") usage_error("--only: expected a or b");
      o.only = value;
    } else if (key == "work-dir") o.work_dir = value;
    else usage_error("unknown option '--" + key + "'");
  }
  return o;
}

std::string join_ints(const std::vector<int64_t>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + std::to_string(v[i]);
  return out;
}

// --- children --------------------------------------------------------------------------------

enum class Program { Volt, Hand };

const char* program_name(Program p) { return p == Program::Volt ? "volt" : "hand"; }

// Both programs read the thread's CPU clock every this many steps (about 40 times a run), not
// every step: the read is a system call, and on a VM with page-table isolation and no PCID each
// one flushes the TLB, which then costs every page the step touches again (12 us of a 64 us
// step in one measurement, and more for the program that touches more pages).
int64_t cpu_clock_every(int64_t steps) { return std::max<int64_t>(1, steps / 40); }

std::vector<std::string> volt_command(const Options& o, const BenchConfig& c, int64_t steps,
                                      const std::string& output, const std::string& root) {
  std::vector<std::string> a{o.volt, "fit"};
  for (const auto& dir : o.plugin_dirs) a.push_back("--plugin-dir=" + dir);
  std::string hidden = "[" + join_ints(c.hidden_sizes, ",") + "]";
  std::vector<std::string> rest{
      "--model=mlp",
      "--model.in_features=" + std::to_string(c.in_features),
      "--model.hidden_sizes=" + hidden,
      "--model.num_classes=" + std::to_string(c.num_classes),
      "--model.optimizer=sgd",
      "--model.lr=0.01",
      "--data=synthetic",
      "--data.shape=[" + std::to_string(c.in_features) + "]",
      "--data.num_classes=" + std::to_string(c.num_classes),
      "--data.size=" + std::to_string(steps * c.batch_size),
      "--data.val_size=0",
      "--data.test_size=0",
      "--data.batch_size=" + std::to_string(c.batch_size),
      "--data.seed=0",
      "--seed_everything=0",
      "--logger=false",
      "--trainer.max_epochs=1",
      "--trainer.enable_checkpointing=false",
      "--trainer.enable_progress_bar=false",
      "--trainer.enable_model_summary=false",
      "--trainer.num_sanity_val_steps=0",
      "--trainer.limit_val_batches=0",
      "--trainer.default_root_dir=" + root,
      o.phases ? "--callbacks+=step_phase_timer" : "--callbacks+=step_timer",
      "--callbacks.output=" + output,
      "--callbacks.cpu_clock_every=" + std::to_string(cpu_clock_every(steps)),
  };
  a.insert(a.end(), rest.begin(), rest.end());
  return a;
}

std::vector<std::string> hand_command(const Options& o, const BenchConfig& c, int64_t steps,
                                      const std::string& output) {
  std::vector<std::string> a{o.handwritten,
          "--in_features=" + std::to_string(c.in_features),
          "--hidden_sizes=" + join_ints(c.hidden_sizes, ","),
          "--num_classes=" + std::to_string(c.num_classes),
          "--shape=" + std::to_string(c.in_features),
          "--size=" + std::to_string(steps * c.batch_size),
          "--val_size=0",
          "--test_size=0",
          "--batch_size=" + std::to_string(c.batch_size),
          "--epochs=1",
          "--seed=0",
          "--lr=0.01",
          "--cpu_clock_every=" + std::to_string(cpu_clock_every(steps)),
          "--output=" + output};
  if (o.phases) a.push_back("--phases=1");
  return a;
}

// The parent's environment with one thread for OpenMP and MKL, and without the variables that
// would change what volt runs (VOLT_TRAINER_* options, extra plugin folders, malloc settings).
// The hand-written loop gets volt's malloc settings as glibc variables.
std::vector<std::string> child_environment(bool hand_written) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    if (kv.rfind("OMP_NUM_THREADS=", 0) == 0 || kv.rfind("MKL_NUM_THREADS=", 0) == 0 ||
        kv.rfind("VOLT_TRAINER_", 0) == 0 || kv.rfind("VOLT_PLUGIN_PATH=", 0) == 0 ||
        kv.rfind("VOLT_MALLOC_TUNING=", 0) == 0 || kv.rfind("MALLOC_", 0) == 0)
      continue;
    env.push_back(kv);
  }
  env.push_back("OMP_NUM_THREADS=1");
  env.push_back("MKL_NUM_THREADS=1");
  if (hand_written) {
    env.push_back("MALLOC_MMAP_THRESHOLD_=" + std::to_string(volt::host::kMmapThresholdBytes));
    env.push_back("MALLOC_TRIM_THRESHOLD_=" + std::to_string(volt::host::kTrimThresholdBytes));
  }
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string tail_of(const std::string& path, size_t max_chars) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > max_chars) text = "..." + text.substr(text.size() - max_chars);
  return text;
}

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

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) m = (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid))) / 2;
  return m;
}

// Runs one child to completion; fills the timings from the JSON it wrote.
RunResult run_child(std::vector<std::string> argv, std::vector<std::string> env,
                    const std::string& output, const std::string& log, int64_t warmup) {
  RunResult r;
  std::error_code ec;
  fs::remove(output, ec);
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(env);
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    r.error = "cannot open " + log + ": " + std::strerror(errno);
    return r;
  }
  std::cout.flush();
  std::cerr.flush();

  const int64_t t0 = monotonic_ns();  // just before fork/exec
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::execve(c_argv[0], c_argv.data(), c_env.data());
    const char msg[] = "volt_bench_overhead: exec failed\n";
    ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid < 0) {
    r.error = std::string("fork failed: ") + std::strerror(errno);
    return r;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    r.error = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                : "killed by signal " + std::to_string(WTERMSIG(status));
    r.error += "; command: ";
    for (const auto& a : argv) r.error += a + " ";
    r.error += "\n--- log tail ---\n" + tail_of(log, 2000);
    return r;
  }

  nlohmann::json j;
  try {
    std::ifstream in(output);
    if (!in) throw std::runtime_error("no timing file " + output);
    in >> j;
  } catch (const std::exception& e) {
    r.error = std::string("cannot read timings: ") + e.what() + "\n--- log tail ---\n" +
              tail_of(log, 2000);
    return r;
  }
  std::vector<int64_t> starts = j.at("batch_start_ns").get<std::vector<int64_t>>();
  if (starts.size() < static_cast<size_t>(warmup) + 2) {
    r.error = "only " + std::to_string(starts.size()) + " steps recorded";
    return r;
  }
  r.startup_ms = static_cast<double>(starts.front() - t0) / 1e6;
  for (size_t i = static_cast<size_t>(warmup) + 1; i < starts.size(); ++i)
    r.step_ms.push_back(static_cast<double>(starts[i] - starts[i - 1]) / 1e6);
  r.median_ms = median(r.step_ms);
  for (double s : volt::bench::cpu_seconds_per_step(j, static_cast<size_t>(warmup)))
    r.step_cpu_ms.push_back(s * 1e3);
  if (j.contains("phase_ns")) {
    const auto& p = j.at("phase_ns");
    std::vector<int64_t> fwd = p.at("forward_end").get<std::vector<int64_t>>();
    std::vector<int64_t> bws = p.at("backward_start").get<std::vector<int64_t>>();
    std::vector<int64_t> bwe = p.at("backward_end").get<std::vector<int64_t>>();
    std::vector<int64_t> end = p.at("batch_end").get<std::vector<int64_t>>();
    for (size_t i = static_cast<size_t>(warmup) + 1; i < starts.size(); ++i) {
      size_t k = i - 1;  // the step that ran from starts[k] to starts[i]
      if (k >= fwd.size() || k >= bws.size() || k >= bwe.size() || k >= end.size()) break;
      const int64_t points[] = {starts[k], fwd[k], bws[k], bwe[k], end[k], starts[i]};
      r.phase_ms[0].push_back(static_cast<double>(points[5] - points[4]) / 1e6);
      for (int ph = 1; ph < kPhaseCount; ++ph)
        r.phase_ms[ph].push_back(static_cast<double>(points[ph] - points[ph - 1]) / 1e6);
    }
  }
  if (j.contains("first_step_process_cpu_ns"))
    r.startup_cpu_ms = static_cast<double>(j.at("first_step_process_cpu_ns").get<int64_t>()) / 1e6;
  r.ok = true;
  return r;
}

// --- one config ------------------------------------------------------------------------------

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

RunResult run_program(Program p, const Options& o, const BenchConfig& c, int64_t steps,
                      const std::string& tag) {
  fs::path dir(o.work_dir);
  std::string output = (dir / (tag + ".json")).string();
  std::string log = (dir / (tag + ".log")).string();
  std::vector<std::string> argv =
      p == Program::Volt ? volt_command(o, c, steps, output, (dir / "volt_root").string())
                         : hand_command(o, c, steps, output);
  return run_child(std::move(argv), child_environment(p == Program::Hand), output, log, o.warmup);
}

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

// --- report ----------------------------------------------------------------------------------

// "1.23 0.98 0.75" from /proc/loadavg: how busy the machine was (other processes skew wall time).
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  if (!(in >> a >> b >> c)) return "unknown";
  return a + " " + b + " " + c;
}

void print_rule(int width) { std::printf("%s\n", std::string(static_cast<size_t>(width), '-').c_str()); }

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
              "(median over blocks of steps/40\nsteps after the warm-up); at the first step, the "
              "whole process's (median over runs)\n");
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

std::vector<BenchConfig> make_configs(const Options& o) {
  return {
      {"a", "(a) mlp 32-[64]-10, batch 32", 32, {64}, 10, 32, o.steps_a, 1.03},
      {"b", "(b) mlp 784-[1024,1024]-10, batch 64", 784, {1024, 1024}, 10, 64, o.steps_b, 1.01},
  };
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_options(argc, argv);

  if (o.print_commands) {
    // Child command lines for profiling by hand; outputs go to --work-dir (default /tmp).
    fs::path dir = o.work_dir.empty() ? fs::path("/tmp") : fs::absolute(o.work_dir);
    for (const auto& c : make_configs(o)) {
      if (!o.only.empty() && o.only != c.key) continue;
      for (Program p : {Program::Volt, Program::Hand}) {
        std::string output = (dir / (c.key + "_" + program_name(p) + ".json")).string();
        std::vector<std::string> argv =
            p == Program::Volt ? volt_command(o, c, c.steps, output, (dir / "volt_root").string())
                               : hand_command(o, c, c.steps, output);
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
