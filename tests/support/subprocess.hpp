// Runs a program as a child process (fork + execve) in a given working directory, with the
// test's environment minus every VOLT_* variable (so a developer's VOLT_PLUGIN_PATH or
// VOLT_TRAINER_* cannot change what the test sees), and returns its exit code, stdout and
// stderr.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace volt::trainer_test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// Starts `argv` in `cwd` with stdout and stderr going to files in `capture_dir`; returns the
// child's pid. `extra_env` ("NAME=value") is set in the child, ahead of the inherited variables;
// the inherited variables named in `unset_env` are left out.
inline pid_t start_process(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                           const std::filesystem::path& capture_dir,
                           const std::vector<std::string>& extra_env = {},
                           const std::vector<std::string>& unset_env = {}) {
  // Everything the child needs is prepared before fork: only async-signal-safe calls after.
  std::string out_path = (capture_dir / "stdout.txt").string();
  std::string err_path = (capture_dir / "stderr.txt").string();
  std::string dir = cwd.string();
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
  auto unset = [&](const char* kv) {
    for (const auto& name : unset_env)
      if (std::strncmp(kv, name.c_str(), name.size()) == 0 && kv[name.size()] == '=') return true;
    return false;
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::strncmp(*e, "VOLT_", 5) != 0 && !unset(*e)) env.push_back(*e);
  env.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::chdir(dir.c_str()) != 0) ::_exit(127);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::close(out);
    ::close(err);
    ::execve(args[0], args.data(), env.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for a child from start_process and reads what it printed. With a timeout, a child
// still running after it is killed (SIGKILL) and `timed_out` is set.
inline ProcessResult wait_process(pid_t pid, const std::filesystem::path& capture_dir,
                                  double timeout_seconds = -1, bool* timed_out = nullptr) {
  int status = 0;
  if (timed_out != nullptr) *timed_out = false;
  if (timeout_seconds < 0) {
    while (::waitpid(pid, &status, 0) < 0)
      if (errno != EINTR) throw std::runtime_error("waitpid failed");
  } else {
    for (int waited_ms = 0;; waited_ms += 20) {
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) throw std::runtime_error("waitpid failed");
      if (waited_ms > timeout_seconds * 1000) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        if (timed_out != nullptr) *timed_out = true;
        break;
      }
      ::usleep(20000);
    }
  }
  ProcessResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  r.out = slurp((capture_dir / "stdout.txt").string());
  r.err = slurp((capture_dir / "stderr.txt").string());
  return r;
}

inline ProcessResult run_process(const std::vector<std::string>& argv,
                                 const std::filesystem::path& cwd,
                                 const std::filesystem::path& capture_dir,
                                 const std::vector<std::string>& extra_env = {},
                                 const std::vector<std::string>& unset_env = {}) {
  return wait_process(start_process(argv, cwd, capture_dir, extra_env, unset_env), capture_dir);
}

}  // namespace volt::trainer_test
