// Shared by the ddp and fsdp tests: runs the real `volt` binary (one launcher, or processes
// started here as torchrun would), finds the checkpoint a run left, and compares parameters.
#pragma once

#include "checkpoint/checkpoint_file.hpp"
#include "distributed/launcher.hpp"
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace volt::ddp_test {

using namespace volt::trainer_test;  // NOLINT: TempDir, run_process, ProcessResult

inline const std::string kVolt = VOLT_TEST_VOLT_BINARY;

// `volt fit` on an mlp 8 -> 16 -> 3 with Adam over 128 shuffled synthetic samples; `batch` is
// the batch size of each process. Two processes with batch B see, batch by batch, exactly the
// samples one process sees with batch 2B (DistributedSampler's interleaving).
inline std::vector<std::string> fit_args(const fs::path& root, int64_t batch, int64_t epochs,
                                         const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{
      kVolt, "fit", "--model=mlp", "--model.in_features=8", "--model.hidden_sizes=[16]",
      "--model.num_classes=3", "--model.optimizer=adam", "--model.lr=0.05", "--data=synthetic",
      "--data.shape=[8]", "--data.size=128", "--data.val_size=32", "--data.test_size=16",
      "--data.num_classes=3", "--data.batch_size=" + std::to_string(batch), "--data.seed=7",
      "--trainer.max_epochs=" + std::to_string(epochs), "--trainer.enable_progress_bar=false",
      "--trainer.enable_model_summary=false", "--trainer.default_root_dir=" + root.string(),
      "--seed_everything=11", "--logger=false"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Children of `parent` with their LOCAL_RANK (read from /proc).
inline std::map<int, pid_t> workers_of(pid_t parent) {
  std::map<int, pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    std::ifstream environ(e.path() / "environ", std::ios::binary);
    std::string var;
    while (std::getline(environ, var, '\0'))
      if (var.rfind("LOCAL_RANK=", 0) == 0) out[std::stoi(var.substr(11))] = std::stoi(name);
  }
  return out;
}

// Waits until `launcher` has started `count` workers (at most 30 s); fewer when it did not.
inline std::map<int, pid_t> wait_for_workers(pid_t launcher, size_t count = 2) {
  std::map<int, pid_t> workers;
  for (int i = 0; i < 600 && workers.size() < count; ++i) {
    ::usleep(50000);
    workers = workers_of(launcher);
  }
  return workers;
}

// True while `pid` runs (or sleeps, or is stopped): false once it is gone or a zombie that
// nobody reaped (a container's init may not).
inline bool process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// Waits until the captured output in `dir` holds `text`; false after `seconds`.
inline bool wait_for_output(const fs::path& dir, const std::string& text, double seconds) {
  for (double waited = 0; waited < seconds; waited += 0.05) {
    for (const char* name : {"stdout.txt", "stderr.txt"}) {
      std::ifstream in(dir / name);
      std::stringstream s;
      s << in.rdbuf();
      if (s.str().find(text) != std::string::npos) return true;
    }
    ::usleep(50000);
  }
  return false;
}

inline std::string describe(const ProcessResult& r) {
  return "exit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

// Runs in `tmp`/<tag>: a folder for the working directory and the captured output.
inline ProcessResult run(const std::vector<std::string>& args, const TempDir& tmp,
                         const std::string& tag, const std::vector<std::string>& env = {}) {
  fs::path dir = tmp / tag;
  fs::create_directories(dir);
  return run_process(args, dir, dir, env);
}

// The one .ckpt file, or sharded checkpoint folder, under `root` (default checkpointing keeps
// the latest only).
inline fs::path only_checkpoint(const fs::path& root) {
  std::vector<fs::path> found;
  if (fs::exists(root))
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
      if (it->path().extension() != ".ckpt") continue;
      found.push_back(it->path());
      if (it->is_directory()) it.disable_recursion_pending();  // its shard files are not others
    }
  if (found.size() != 1)
    throw std::runtime_error("expected one checkpoint under " + root.string() + ", found " +
                             std::to_string(found.size()));
  return found.front();
}

inline std::map<std::string, at::Tensor> weights(const fs::path& ckpt) {
  std::map<std::string, at::Tensor> out;
  for (const auto& kv : host::load_checkpoint_file(ckpt).state_dict())
    out[kv.key().toStringRef()] = kv.value().toTensor();
  return out;
}

// The weights one process reaches in 2 epochs with batch 32: what a checkpoint that changes
// strategy between the epochs (batch 16 on each of 2 processes) must reach too.
inline std::map<std::string, at::Tensor> two_epochs_on_one_device(const TempDir& tmp) {
  ProcessResult r = run(fit_args(tmp / "reference/root", 32, 2), tmp, "reference");
  if (r.exit_code != 0) throw std::runtime_error("the single-device reference failed: " + describe(r));
  return weights(only_checkpoint(tmp / "reference/root"));
}

// Largest relative difference over all tensors: max|a - b| / max|b|, per tensor.
inline double max_relative_difference(const std::map<std::string, at::Tensor>& a,
                                      const std::map<std::string, at::Tensor>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (const auto& [name, ta] : a) {
    auto it = b.find(name);
    if (it == b.end() || !ta.sizes().equals(it->second.sizes())) return INFINITY;
    double scale = std::max(it->second.abs().max().item<double>(), 1e-12);
    worst = std::max(worst, (ta - it->second).abs().max().item<double>() / scale);
  }
  return worst;
}

}  // namespace volt::ddp_test
