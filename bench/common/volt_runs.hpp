// Shared by the bench drivers: run programs with one intra-op thread and capture their output,
// and read the step_timer callback's JSON (bench/overhead/step_timer.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace volt::bench {

struct Output {
  int status = -1;
  std::string text;  // stdout and stderr
};

struct Started {
  pid_t pid = -1;
  std::filesystem::path log;
};

// Starts argv (argv[0] a path) in `cwd` ("": this process's) with this environment less
// OMP_NUM_THREADS, MKL_NUM_THREADS and VOLT_* variables, plus `extra_env` ("NAME=value");
// stdout and stderr go to `log`. finish() waits and reads the log back.
inline Started start_program(const std::vector<std::string>& argv, const std::filesystem::path& log,
                             const std::vector<std::string>& extra_env,
                             const std::filesystem::path& cwd = {}) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_storage = extra_env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "OMP_NUM_THREADS=", 16) != 0 && std::strncmp(*e, "MKL_NUM_THREADS=", 16) != 0 &&
        std::strncmp(*e, "VOLT_", 5) != 0)
      env_storage.emplace_back(*e);
  std::vector<char*> env;
  for (auto& e : env_storage) env.push_back(e.data());
  env.push_back(nullptr);
  std::string log_path = log.string();
  std::string dir = cwd.string();
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || (!dir.empty() && ::chdir(dir.c_str()) != 0)) ::_exit(127);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(args[0], args.data(), env.data());
    ::_exit(127);
  }
  return Started{pid, log};
}

// start_program with one intra-op thread: OMP_NUM_THREADS=1 and MKL_NUM_THREADS=1.
inline Started start_single_threaded(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  return start_program(argv, log, {"OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1"});
}

inline Output finish(const Started& started) {
  Output out;
  int status = 0;
  ::waitpid(started.pid, &status, 0);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(started.log);
  std::ostringstream s;
  s << in.rdbuf();
  out.text = s.str();
  return out;
}

inline Output run_single_threaded(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  return finish(start_single_threaded(argv, log));
}

// The middle value (the mean of the two middle ones for an even count); 0 for none.
inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// The training thread's CPU seconds per step from a step_timer (or hand-written loop) file:
// "batch_start_cpu_ns" holds the clock at the start of steps 0, K, 2K, ... ("cpu_clock_every",
// 1 when absent); one value (the block's mean) per block of K steps that starts at or after
// step `warmup`.
inline std::vector<double> cpu_seconds_per_step(const nlohmann::json& j, size_t warmup) {
  std::vector<double> out;
  if (!j.contains("batch_start_cpu_ns")) return out;
  std::vector<int64_t> cpu = j.at("batch_start_cpu_ns").get<std::vector<int64_t>>();
  int64_t every = std::max<int64_t>(1, j.value("cpu_clock_every", int64_t{1}));
  for (size_t b = 0; b + 1 < cpu.size(); ++b)
    if (b * static_cast<size_t>(every) >= warmup)
      out.push_back(static_cast<double>(cpu[b + 1] - cpu[b]) * 1e-9 / static_cast<double>(every));
  return out;
}

// Median seconds between consecutive training-batch starts, after `warmup` steps, in wall
// time ("batch_start_ns") and in the training thread's CPU time ("batch_start_cpu_ns"; a CPU
// time well under the wall time means the process waited: for a peer, or for a CPU the host
// gave away). One read of the step_timer file.
struct StepMedians {
  double wall_s = 0;
  double cpu_s = 0;
};

inline StepMedians median_step_seconds(const std::filesystem::path& timer_json, size_t warmup) {
  nlohmann::json j = nlohmann::json::parse(std::ifstream(timer_json));
  std::vector<double> steps;
  if (j.contains("batch_start_ns")) {
    std::vector<int64_t> starts = j.at("batch_start_ns").get<std::vector<int64_t>>();
    for (size_t i = warmup + 1; i < starts.size(); ++i)
      steps.push_back(static_cast<double>(starts[i] - starts[i - 1]) * 1e-9);
  }
  return {median(steps), median(cpu_seconds_per_step(j, warmup))};
}

// "--name=value" from argv, or `fallback`.
inline std::string flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(name + "=", 0) == 0) return a.substr(name.size() + 1);
  }
  return fallback;
}

}  // namespace volt::bench
