#include "child_run.hpp"

#include "../common/volt_runs.hpp"
#include "runtime/malloc_tuning.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

extern char** environ;

namespace volt::bench::overhead {

namespace {

namespace fs = std::filesystem;

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

int64_t cpu_clock_every(int64_t steps) { return std::max<int64_t>(1, steps / kCpuClockReadsPerRun); }

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

}  // namespace

const char* program_name(Program p) { return p == Program::Volt ? "volt" : "hand"; }

std::vector<std::string> command_line(Program p, const Options& o, const BenchConfig& c,
                                      int64_t steps, const std::string& output,
                                      const std::string& root) {
  return p == Program::Volt ? volt_command(o, c, steps, output, root)
                            : hand_command(o, c, steps, output);
}

RunResult run_program(Program p, const Options& o, const BenchConfig& c, int64_t steps,
                      const std::string& tag) {
  fs::path dir(o.work_dir);
  std::string output = (dir / (tag + ".json")).string();
  std::string log = (dir / (tag + ".log")).string();
  return run_child(command_line(p, o, c, steps, output, (dir / "volt_root").string()),
                   child_environment(p == Program::Hand), output, log, o.warmup);
}

}  // namespace volt::bench::overhead
