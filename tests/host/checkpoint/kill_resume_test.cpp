// Exact resume of the real `volt` process: a run killed with SIGKILL at several points of the
// step (mid-epoch, at an epoch's end, inside a gradient accumulation window) and resumed from
// its newest checkpoint ends with the same parameters, bit for bit, as a run never stopped.
// SIGTERM saves interrupted.ckpt and exits 143; SIGUSR1 saves hpc_ckpt_<N>.ckpt and, under
// SLURM, requeues the job (a fake `scontrol` records the call) and resumes from it.
#include "checkpoint_support.hpp"

#include "checkpoint/checkpoint_file.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

namespace volt::checkpoint_test {
namespace {

const std::string kVolt = VOLT_TEST_VOLT_BINARY;

struct Proc {
  ProcessResult result;
  // Everything the run printed (spdlog writes to stdout, errors go to stderr).
  std::string output() const { return result.out + result.err; }
  std::string describe() const {
    return "exit " + std::to_string(result.exit_code) + "\n--- output ---\n" + output();
  }
};

Proc volt_fit(const TempDir& dir, std::vector<std::string> flags,
              const std::vector<std::string>& env = {}) {
  flags.insert(flags.begin(), {kVolt, "fit", "--plugin-dir=" VOLT_TEST_EXTRA_PLUGIN_DIR});
  static int calls = 0;
  fs::path capture = dir / ("capture" + std::to_string(calls++));
  fs::create_directories(capture);
  return {run_process(flags, dir.path(), capture, env)};
}

// 96 samples in batches of 16: 6 batches per epoch, 3 epochs; Adam; deterministic.
std::vector<std::string> base(const TempDir& dir, int64_t accumulate) {
  return with(small_fit((dir / "root").string(), "adam", 3),
              {"--trainer.deterministic=true",
               "--trainer.accumulate_grad_batches=" + std::to_string(accumulate),
               "--callbacks+=step_checkpointer", "--callbacks.dirpath=" + (dir / "saves").string()});
}

std::vector<std::string> signal_at(const std::string& signal, int64_t step, const std::string& hook) {
  return {"--callbacks+=signal_at_step", "--callbacks.signal=" + signal,
          "--callbacks.step=" + std::to_string(step), "--callbacks.hook=" + hook};
}

// The state_dict of the run's final default checkpoint.
c10::impl::GenericDict final_weights(const TempDir& dir, int64_t steps) {
  fs::path file = dir / "root/checkpoints" / ("epoch=2-step=" + std::to_string(steps) + ".ckpt");
  REQUIRE(fs::exists(file));
  return host::load_checkpoint_file(file).state_dict();
}

bool same_weights(const c10::impl::GenericDict& a, const c10::impl::GenericDict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& e : a) {
    auto it = b.find(e.key());
    if (it == b.end() || !torch::equal(e.value().toTensor(), it->value().toTensor())) return false;
  }
  return true;
}

fs::path newest_save(const TempDir& dir) {
  fs::path best;
  int64_t best_step = -1;
  for (const auto& e : fs::directory_iterator(dir / "saves")) {
    std::string name = e.path().filename().string();  // step=S.ckpt
    if (name.rfind("step=", 0) != 0) continue;
    int64_t step = std::stoll(name.substr(5));
    if (step > best_step) best_step = step, best = e.path();
  }
  return best;
}

TEST_CASE("a fit killed with SIGKILL and resumed from its last checkpoint is bitwise exact",
          "[checkpoint][resume][signals]") {
  struct Point { int64_t accumulate, step; const char* hook; };
  const std::vector<Point> points = {
      {1, 4, "on_before_optimizer_step"},  // mid-epoch, between backward and step
      {1, 6, "on_train_batch_end"},        // the last batch of epoch 0
      {1, 9, "on_train_batch_start"},      // mid-epoch 1
      {2, 2, "on_before_optimizer_step"},  // a full accumulation window lost
      {2, 4, "on_train_batch_start"},      // inside an accumulation window of epoch 1
  };
  for (int64_t accumulate : {1, 2}) {
    TempDir ref("kill-ref");
    Proc full = volt_fit(ref, base(ref, accumulate));
    REQUIRE(full.result.exit_code == 0);
    int64_t steps = accumulate == 1 ? 18 : 9;
    auto expected = final_weights(ref, steps);
    for (const Point& p : points) {
      if (p.accumulate != accumulate) continue;
      INFO("accumulate " << accumulate << ", SIGKILL at step " << p.step << " in " << p.hook);
      TempDir dir("kill-run");
      Proc killed = volt_fit(dir, with(base(dir, accumulate), signal_at("SIGKILL", p.step, p.hook)));
      REQUIRE(killed.result.exit_code == 128 + SIGKILL);
      fs::path last = newest_save(dir);
      REQUIRE_FALSE(last.empty());
      Proc resumed = volt_fit(dir, with(base(dir, accumulate), {"--ckpt_path=" + last.string()}));
      INFO(resumed.describe());
      REQUIRE(resumed.result.exit_code == 0);
      CHECK(same_weights(final_weights(dir, steps), expected));
    }
  }
}

TEST_CASE("SIGTERM finishes the step, saves interrupted.ckpt, exits 143, and --ckpt_path=last resumes",
          "[checkpoint][resume][signals]") {
  TempDir ref("term-ref"), dir("term-run");
  REQUIRE(volt_fit(ref, base(ref, 1)).result.exit_code == 0);
  Proc stopped = volt_fit(dir, with(base(dir, 1), signal_at("SIGTERM", 8, "on_before_optimizer_step")));
  INFO(stopped.describe());
  CHECK(stopped.result.exit_code == 128 + SIGTERM);
  fs::path ckpt = dir / "root/checkpoints/interrupted.ckpt";
  REQUIRE(fs::exists(ckpt));
  CHECK(stopped.output().find("SIGTERM") != std::string::npos);
  CHECK(stopped.output().find(ckpt.string()) != std::string::npos);
  // The step in flight was finished: the checkpoint is at step 9, mid-epoch 1.
  host::CheckpointFile file = host::load_checkpoint_file(ckpt);
  CHECK(file.find("global_step")->toInt() == 9);
  CHECK(file.find("epoch")->toInt() == 1);
  Proc resumed = volt_fit(dir, with(base(dir, 1), {"--ckpt_path=last"}));
  INFO(resumed.describe());
  REQUIRE(resumed.result.exit_code == 0);
  CHECK(same_weights(final_weights(dir, 18), final_weights(ref, 18)));
}

TEST_CASE("a second SIGTERM ends the process at once, without a checkpoint",
          "[checkpoint][signals]") {
  TempDir dir("term-twice");
  Proc stopped = volt_fit(dir, with(base(dir, 1), with(signal_at("SIGTERM", 3, "on_train_batch_start"),
                                                       {"--callbacks.count=2"})));
  INFO(stopped.describe());
  CHECK(stopped.result.exit_code == 128 + SIGTERM);
  CHECK_FALSE(fs::exists(dir / "root/checkpoints/interrupted.ckpt"));
  CHECK(stopped.output().find("interrupted by") == std::string::npos);
}

TEST_CASE("SIGUSR1 saves an hpc checkpoint, and under SLURM it requeues and the next run resumes",
          "[checkpoint][resume][signals]") {
  TempDir ref("usr1-ref");
  REQUIRE(volt_fit(ref, base(ref, 1)).result.exit_code == 0);
  auto expected = final_weights(ref, 18);

  SECTION("not under SLURM: the checkpoint is saved and training goes on") {
    TempDir dir("usr1-local");
    Proc run = volt_fit(dir, with(base(dir, 1), signal_at("SIGUSR1", 5, "on_train_batch_start")));
    INFO(run.describe());
    REQUIRE(run.result.exit_code == 0);
    CHECK(fs::exists(dir / "root/hpc_ckpt_1.ckpt"));
    CHECK(same_weights(final_weights(dir, 18), expected));
  }
  SECTION("under SLURM: scontrol requeue, stop, and auto-resume from hpc_ckpt_1") {
    TempDir dir("usr1-slurm");
    fs::create_directories(dir / "bin");
    fs::path scontrol = dir / "bin/scontrol";
    std::ofstream(scontrol) << "#!/bin/sh\necho \"$@\" >> " << (dir / "requeued.txt").string() << "\n";
    ::chmod(scontrol.c_str(), 0755);
    std::vector<std::string> env = {"PATH=" + (dir / "bin").string() + ":" + std::getenv("PATH"),
                                    "SLURM_JOB_ID=4242"};
    Proc first = volt_fit(dir, with(base(dir, 1), signal_at("SIGUSR1", 5, "on_train_batch_start")), env);
    INFO(first.describe());
    REQUIRE(first.result.exit_code == 0);
    REQUIRE(fs::exists(dir / "root/hpc_ckpt_1.ckpt"));
    CHECK(read_file(dir / "requeued.txt") == "requeue 4242\n");
    CHECK_FALSE(fs::exists(dir / "root/checkpoints/epoch=2-step=18.ckpt"));  // it stopped
    // The requeued job: same command, no ckpt_path.
    Proc second = volt_fit(dir, base(dir, 1), env);
    INFO(second.describe());
    REQUIRE(second.result.exit_code == 0);
    CHECK(second.output().find("hpc_ckpt_1.ckpt") != std::string::npos);
    CHECK(same_weights(final_weights(dir, 18), expected));
  }
}

// Lightning reacts to SIGTERM between batches in every loop; validate once ran to its end.
TEST_CASE("SIGTERM stops volt validate at the next batch with status 143", "[checkpoint][signals]") {
  TempDir dir("validate-sigterm");
  std::vector<std::string> flags = with(small_fit((dir / "root").string(), "sgd", 1),
                                        {"--data.val_size=64", "--data.batch_size=1",
                                         "--callbacks+=signal_at_step", "--callbacks.signal=SIGTERM",
                                         "--callbacks.step=0", "--callbacks.hook=on_validation_batch_end"});
  flags.insert(flags.begin(), {kVolt, "validate", "--plugin-dir=" VOLT_TEST_EXTRA_PLUGIN_DIR});
  fs::create_directories(dir / "capture");
  Proc run{run_process(flags, dir.path(), dir / "capture")};
  INFO(run.describe());
  CHECK(run.result.exit_code == 128 + SIGTERM);
  CHECK(run.output().find("interrupted by SIGTERM") != std::string::npos);
  CHECK(run.output().find("Validate metric") == std::string::npos);  // no results table
}

}  // namespace
}  // namespace volt::checkpoint_test
