// Signals that reach one ddp rank before the others (a scheduler signals processes one by one):
// every rank must take the checkpoint, or be interrupted, at the same step, since the
// checkpoint's barrier and the next step's all-reduce are collectives every rank must join
// (host/trainer/boundary_vote.hpp). The signal is raised on one rank at the end of step 3; that
// rank asks at that boundary, the others learn of it at the next one, and all act after step 4.
#include "strategies/ddp/ddp_support.hpp"

#include <catch2/catch.hpp>

#ifdef VOLT_TEST_HAVE_DDP

using namespace volt::ddp_test;

namespace {

std::vector<std::string> signal_args(const fs::path& root, const std::string& rank,
                                     const std::string& signal) {
  // 128 samples, batch 16 on each of 2 ranks: 4 steps per epoch. A collective one rank never
  // joins fails within the timeout instead of hanging the suite.
  return fit_args(root, 16, 2,
                  {"--strategy=ddp", "--trainer.devices=2", "--strategy.timeout=60",
                   "--plugin-dir=" + extra_plugin_dir().string(), "--callbacks+=rank_stopper",
                   "--callbacks.rank=" + rank, "--callbacks.step=3", "--callbacks.signal=" + signal});
}

int64_t global_step(const fs::path& ckpt) {
  volt::host::CheckpointFile file = volt::host::load_checkpoint_file(ckpt);
  const c10::IValue* step = file.find("global_step");
  REQUIRE(step != nullptr);
  return step->toInt();
}

std::vector<fs::path> files_named(const fs::path& root, const std::string& prefix) {
  std::vector<fs::path> found;
  if (fs::exists(root))
    for (const auto& e : fs::recursive_directory_iterator(root))
      if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back(e.path());
  return found;
}

}  // namespace

TEST_CASE("SIGUSR1 on one ddp rank: every rank saves one hpc checkpoint at the same step and "
          "training goes on", "[ddp][e2e][signals]") {
  TempDir tmp("ddp-usr1");
  ProcessResult plain = run(fit_args(tmp / "plain", 16, 2, {"--strategy=ddp", "--trainer.devices=2"}),
                            tmp, "plain");
  INFO(describe(plain));
  REQUIRE(plain.exit_code == 0);
  for (const std::string rank : {"1", "0"}) {
    const std::string tag = "usr1-rank" + rank;
    ProcessResult r = run(signal_args(tmp / tag / "root", rank, "SIGUSR1"), tmp, tag);
    INFO("SIGUSR1 on rank " << rank << "\n" << describe(r));
    REQUIRE(r.exit_code == 0);
    std::vector<fs::path> hpc = files_named(tmp / tag / "root", "hpc_ckpt_");
    REQUIRE(hpc.size() == 1);
    CHECK(hpc[0].filename() == "hpc_ckpt_1.ckpt");
    CHECK(global_step(hpc[0]) == 4);
    // Training went on to the end and is the run without the signal.
    fs::path last = tmp / tag / "root/checkpoints/epoch=1-step=8.ckpt";
    REQUIRE(fs::exists(last));
    CHECK(max_relative_difference(weights(last), weights(only_checkpoint(tmp / "plain"))) == 0.0);
  }
}

TEST_CASE("SIGTERM on one ddp rank: every rank is interrupted at the same step, after one "
          "interrupted.ckpt", "[ddp][e2e][signals]") {
  TempDir tmp("ddp-term");
  ProcessResult r = run(signal_args(tmp / "root", "1", "SIGTERM"), tmp, "term");
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK((r.out + r.err).find("interrupted by") != std::string::npos);
  fs::path saved = tmp / "root/checkpoints/interrupted.ckpt";
  REQUIRE(fs::exists(saved));
  CHECK(global_step(saved) == 4);
  CHECK(files_named(tmp / "root", "epoch=").empty());  // it stopped inside the first epoch
}

#endif  // VOLT_TEST_HAVE_DDP
