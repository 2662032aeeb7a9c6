// The shipped callbacks (volt_callbacks.so) as a user runs them: the real `volt` binary as a
// child process, configured with Lightning's option names on the command line.
#include "plugins_callbacks/e2e_support.hpp"

#include <catch2/catch.hpp>

#include <set>

namespace volt::trainer_test {
using namespace callbacks_e2e;
namespace {

TEST_CASE("volt plugins lists the shipped callbacks", "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  ProcessResult r = volt({"plugins", "--json"}, tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  nlohmann::json listed = nlohmann::json::parse(r.out);
  std::set<std::string> ids;
  for (const auto& p : listed["plugins"])
    if (p["kind"] == "callback" && p["file"].get<std::string>().find("volt_callbacks") != std::string::npos)
      ids.insert(p["id"].get<std::string>());
  CHECK(ids == std::set<std::string>{"early_stopping", "model_checkpoint", "timer"});
  for (const auto& s : listed["skipped"])
    CHECK(s["file"].get<std::string>().find("volt_callbacks") == std::string::npos);
}

TEST_CASE("early_stopping stops a fit whose val_loss stops improving", "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  ProcessResult r = volt(fit_args(tmp, {"--callbacks+=early_stopping", "--callbacks.monitor=val_loss",
                                        "--callbacks.patience=1"}),
                         tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  std::string all = r.out + r.err;
  CHECK_THAT(all, Catch::Contains("Monitored metric val_loss did not improve in the last 1 records. "
                                  "Best score: ") &&
                      Catch::Contains(". Signaling Trainer to stop."));
  std::vector<std::string> val = column(tmp, "val_loss");
  CHECK(val.size() >= 2);   // at least one improvement, then one that is not
  CHECK(val.size() < 50);   // stopped early
  std::set<std::string> epochs;
  for (const auto& e : column(tmp, "epoch")) epochs.insert(e);
  CHECK(epochs.size() == val.size());
}

TEST_CASE("early_stopping: a stopping threshold stops after the first validation", "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  ProcessResult r = volt(fit_args(tmp, {"--callbacks+=early_stopping", "--callbacks.monitor=val_loss",
                                        "--callbacks.stopping_threshold=100"}),
                         tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("Stopping threshold reached: val_loss = ") &&
                                Catch::Contains(" < 100. Signaling Trainer to stop."));
  CHECK(column(tmp, "val_loss").size() == 1);
}

TEST_CASE("early_stopping: a missing monitored metric is an error naming it", "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  ProcessResult r = volt(fit_args(tmp, {"--callbacks+=early_stopping", "--callbacks.monitor=val_los"}), tmp);
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("Early stopping conditioned on metric `val_los` which is "
                                            "not available"));
}

TEST_CASE("timer stops the fit once the duration is used up", "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  ProcessResult r = volt(fit_args(tmp, {"--callbacks+=timer", "--callbacks.duration=00:00:00:00"}), tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out + r.err,
             Catch::Contains("Time limit reached. Elapsed time is 0:00:00. Signaling Trainer to stop."));
  CHECK(column(tmp, "train_loss").size() < 6);  // not even one epoch of 6 steps
}

}  // namespace
}  // namespace volt::trainer_test
