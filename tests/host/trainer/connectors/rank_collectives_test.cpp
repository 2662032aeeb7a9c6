// Collectives for plugins (host->all_gather, reduce, broadcast, barrier; RunServices in the C++
// layer) and log() from a callback, under ddp with 2 ranks and on one process; and the refusal
// of a strategy that runs several processes without collectives.
#include "strategies/ddp/ddp_support.hpp"
#include "support/csv_column.hpp"

#include <catch2/catch.hpp>

#ifdef VOLT_TEST_HAVE_DDP

using namespace volt::ddp_test;

namespace {

std::vector<std::string> probe_args(const TempDir& tmp, const std::string& tag,
                                    std::vector<std::string> extra) {
  auto args = fit_args(tmp / tag, 16, 2, extra);
  args.erase(std::remove(args.begin(), args.end(), std::string("--logger=false")), args.end());
  for (const std::string& a : std::vector<std::string>{"--logger=csv",
                                                       "--plugin-dir=" + extra_plugin_dir().string(),
                                                       "--callbacks+=collectives_probe"})
    args.push_back(a);
  return args;
}

}  // namespace

TEST_CASE("a callback gathers, reduces, broadcasts and logs across 2 ddp ranks", "[ddp][e2e][collectives]") {
  TempDir tmp("rank-collectives");
  ProcessResult r = run(probe_args(tmp, "ddp", {"--strategy=ddp", "--trainer.devices=2"}), tmp, "ddp");
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  // Rank r contributes [r + 1, 10 (r + 1) + epoch]: every rank sees both, in rank order.
  for (int epoch = 0; epoch < 2; ++epoch)
    for (int rank = 0; rank < 2; ++rank) {
      std::string e = std::to_string(epoch);
      std::string line = "collectives_probe: rank " + std::to_string(rank) + " epoch " + e +
                         " gathered 1,1" + e + ";2,2" + e + " sum 3," + std::to_string(30 + 2 * epoch) +
                         " from1 2,2" + e;
      CHECK_THAT(r.out, Catch::Contains(line));
    }
  // Logged from the callback: with sync_dist the mean over ranks, without it rank 0's value.
  fs::path csv = tmp / "ddp/lightning_logs/version_0/metrics.csv";
  auto synced = volt::test_csv::csv_column(csv, "probe_value");
  auto own = volt::test_csv::csv_column(csv, "probe_rank");
  REQUIRE(synced.size() == 2);
  REQUIRE(own.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(std::stod(synced[i]) == Approx(1.5));
    CHECK(std::stod(own[i]) == Approx(1.0));
  }
}

TEST_CASE("collectives on one process give the values back", "[e2e][collectives]") {
  TempDir tmp("rank-collectives-one");
  ProcessResult r = run(probe_args(tmp, "one", {}), tmp, "one");
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("collectives_probe: rank 0 epoch 1 gathered 1,11 sum 1,11 from1 1,11"));
}

TEST_CASE("a multi-process strategy without collectives is refused", "[e2e][collectives]") {
  TempDir tmp("rank-collectives-lone");
  ProcessResult r = run(probe_args(tmp, "lone", {"--strategy=lone_ranks", "--trainer.devices=2"}),
                        tmp, "lone");
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("strategy 'lone_ranks' runs 2 processes but does not "
                                            "implement reduce, broadcast, barrier"));
}

#endif  // VOLT_TEST_HAVE_DDP
