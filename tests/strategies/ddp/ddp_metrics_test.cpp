// With ddp, metrics logged with sync_dist cover the whole split (the shipped classifiers log
// val_*/test_* that way), loggers write from rank 0 only, and a stop requested on one rank
// stops every rank at the same step.
#include "strategies/ddp/ddp_support.hpp"
#include "support/csv_column.hpp"

#include <catch2/catch.hpp>

#ifdef VOLT_TEST_HAVE_DDP

using namespace volt::ddp_test;

namespace {

std::vector<double> numbers(const std::vector<std::string>& cells) {
  std::vector<double> out;
  for (const auto& c : cells) out.push_back(std::stod(c));
  return out;
}

}  // namespace

TEST_CASE("validation and test metrics are reduced across ranks", "[ddp][e2e][metrics]") {
  TempDir tmp("ddp-metrics");
  auto with_csv = [&](std::vector<std::string> args) {
    args.erase(std::remove(args.begin(), args.end(), std::string("--logger=false")), args.end());
    args.push_back("--logger=csv");
    args.push_back("--test-after-fit");
    return args;
  };
  ProcessResult ref = run(with_csv(fit_args(tmp / "ref", 32, 2)), tmp, "ref-run");
  INFO(describe(ref));
  REQUIRE(ref.exit_code == 0);
  ProcessResult ddp = run(with_csv(fit_args(tmp / "ddp", 16, 2, {"--strategy=ddp", "--trainer.devices=2"})),
                          tmp, "ddp-run");
  INFO(describe(ddp));
  REQUIRE(ddp.exit_code == 0);
  // One log folder: rank 1 has no logger and did not create version_1.
  CHECK(fs::exists(tmp / "ddp/lightning_logs/version_0/metrics.csv"));
  CHECK_FALSE(fs::exists(tmp / "ddp/lightning_logs/version_1"));
  for (const char* metric : {"val_loss", "val_acc", "test_loss", "test_acc"}) {
    auto expected = numbers(volt::test_csv::csv_column(tmp / "ref/lightning_logs/version_0/metrics.csv", metric));
    auto got = numbers(volt::test_csv::csv_column(tmp / "ddp/lightning_logs/version_0/metrics.csv", metric));
    INFO(metric);
    REQUIRE(got.size() == expected.size());
    REQUIRE_FALSE(got.empty());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]).margin(1e-5));
  }
}

// The step-boundary vote (host/trainer/boundary_vote.hpp): a stop requested on every rank after step 3
// ends training at step 3, as on one process; requested on one rank only, every rank learns
// of it at the next step boundary and stops at step 4. Neither case waits forever.
TEST_CASE("a stop requested on one rank stops every rank at the same step", "[ddp][e2e]") {
  TempDir tmp("ddp-stop");
  for (const auto& [rank, step] : {std::pair<std::string, std::string>{"-1", "3"}, {"1", "4"}, {"0", "4"}}) {
    const std::string tag = "rank" + rank;
    ProcessResult r = run(fit_args(tmp / tag / "root", 16, 20,
                                   {"--strategy=ddp", "--trainer.devices=2",
                                    "--plugin-dir=" + extra_plugin_dir().string(),
                                    "--callbacks+=rank_stopper", "--callbacks.rank=" + rank,
                                    "--callbacks.step=3"}),
                          tmp, tag);
    INFO("rank_stopper on rank " << rank << "\n" << describe(r));
    REQUIRE(r.exit_code == 0);  // neither rank waited forever for the other
    CHECK(only_checkpoint(tmp / tag / "root").filename().string() == "epoch=0-step=" + step + ".ckpt");
  }
}

#endif  // VOLT_TEST_HAVE_DDP
