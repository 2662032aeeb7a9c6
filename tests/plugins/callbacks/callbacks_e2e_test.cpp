// The shipped callbacks (volt_callbacks.so) as a user runs them: the real `volt` binary as a
// child process, configured with Lightning's option names on the command line.
#include "plugins/callbacks/e2e_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
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
  CHECK(ids == std::set<std::string>{"early_stopping", "ema_weight_averaging",
                                     "gradient_accumulation_scheduler",
                                     "lr_monitor", "model_checkpoint", "model_summary",
                                     "on_exception_checkpoint", "progress_bar", "timer"});
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
  // Lightning's message, listing trainer.callback_metrics (Volt lists them by name).
  CHECK_THAT(r.out + r.err, Catch::Contains("Early stopping conditioned on metric `val_los` which is "
                                            "not available. Pass in or modify your `EarlyStopping` "
                                            "callback to use any of the following: `train_loss`, "
                                            "`val_acc`, `val_loss`"));
}

TEST_CASE("model_checkpoint: a missing monitored metric is an error listing the candidates",
          "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  ProcessResult r = volt(fit_args(tmp, {"--callbacks+=model_checkpoint", "--callbacks.monitor=val_los"}), tmp);
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  // Lightning's _validate_monitor_key message: the callback metrics, then epoch and step.
  CHECK_THAT(r.out + r.err,
             Catch::Contains("`ModelCheckpoint(monitor='val_los')` could not find the monitored key "
                             "in the returned metrics: ['train_loss', 'val_acc', 'val_loss', "
                             "'epoch', 'step']. HINT: Did you call `log('val_los', value)` in the "
                             "`LightningModule`?"));
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

TEST_CASE("model_summary replaces the default summary and shows max_depth levels",
          "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  // The default (trainer.enable_model_summary): top-level children only, printed once.
  ProcessResult plain = volt(fit_args(tmp, {"--trainer.max_epochs=1", "--trainer.enable_model_summary=true",
                                            "--logger=false"}), tmp);
  REQUIRE(plain.exit_code == 0);
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  CHECK(count(plain.out, "Total params") == 1);
  CHECK(plain.out.find("layers.0 ") == std::string::npos);  // a grandchild: below depth 1
  ProcessResult deep = volt(fit_args(tmp, {"--trainer.max_epochs=1", "--trainer.enable_model_summary=true",
                                           "--logger=false", "--callbacks+=model_summary",
                                           "--callbacks.max_depth=-1"}), tmp);
  INFO(describe(deep));
  REQUIRE(deep.exit_code == 0);
  CHECK(count(deep.out, "Total params") == 1);  // the callback's, instead of the default
  CHECK(deep.out.find("layers.0 ") != std::string::npos);
}

TEST_CASE("trainer.max_time adds Lightning's Timer callback", "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  ProcessResult r = volt(fit_args(tmp, {"--trainer.max_time=00:00:00:00"}), tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("Time limit reached."));
  CHECK(column(tmp, "train_loss").size() == 1);  // checked after every step: stops after one
}

TEST_CASE("lr_monitor logs the learning rate the scheduler set, at every step", "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  // StepLR(step_size=2, gamma=0.5) stepped every optimizer step, from lr 0.05.
  ProcessResult r = volt(fit_args(tmp, {"--trainer.max_epochs=1", "--callbacks+=lr_monitor",
                                        "--callbacks.logging_interval=step",
                                        R"(--model.lr_scheduler={"name": "step", "step_size": 2, "gamma": 0.5, "interval": "step"})"}),
                         tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> lrs = column(tmp, "lr-Adam");
  REQUIRE(lrs.size() == 6);  // 192 samples / 32: logged at the start of each of 6 steps
  for (size_t k = 0; k < lrs.size(); ++k) {
    INFO("step " << k);
    CHECK(std::stod(lrs[k]) == Approx(0.05 * std::pow(0.5, static_cast<double>(k / 2))).epsilon(1e-12));
  }
}

TEST_CASE("lr_monitor without a logger is Lightning's error", "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  ProcessResult r = volt(fit_args(tmp, {"--logger=false", "--callbacks+=lr_monitor"}), tmp);
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("Cannot use `LearningRateMonitor` callback with `Trainer` "
                                            "that has no logger."));
}

TEST_CASE("gradient_accumulation_scheduler changes accumulate_grad_batches by epoch",
          "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  // 6 batches per epoch: epoch 0 accumulates 1 (6 steps), epochs 1-2 accumulate 3 (2 steps each).
  ProcessResult r = volt(fit_args(tmp, {"--trainer.max_epochs=3", "--callbacks+=gradient_accumulation_scheduler",
                                        R"(--callbacks.scheduling={"1": 3})"}),
                         tmp);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> steps = column(tmp, "step");
  REQUIRE_FALSE(steps.empty());
  CHECK(std::stoll(steps.back()) == 6 + 2 + 2 - 1);  // Lightning logs at step - 1 for the last
  ProcessResult bad = volt(fit_args(tmp, {"--callbacks+=gradient_accumulation_scheduler",
                                          R"(--callbacks.scheduling={"1": 0})"}), tmp);
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.out + bad.err, Catch::Contains("Accumulation factor should be an int greater than 0"));
}

TEST_CASE("on_exception_checkpoint saves where a failing fit stopped", "[callbacks][e2e]") {
  TempDir tmp("cb-e2e");
  // The plateau scheduler monitors a metric nobody logs: the fit fails at the end of epoch 0.
  ProcessResult r = volt(fit_args(tmp, {"--callbacks+=on_exception_checkpoint",
                                        "--callbacks.dirpath=" + (tmp / "exc").string(),
                                        R"(--model.lr_scheduler={"name": "plateau", "monitor": "nope"})"}),
                         tmp);
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("nope"));
  CHECK(fs::exists(tmp / "exc" / "on_exception.ckpt"));
}

TEST_CASE("overfit_batches trains on the same batches every epoch", "[callbacks][e2e]") {
  TempDir a("cb-e2e");
  // 2 batches of 32 random labels, 30 epochs: only a fixed set of batches can be memorised.
  ProcessResult r = volt(fit_args(a, {"--trainer.overfit_batches=2", "--trainer.max_epochs=30"}), a);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> loss = column(a, "train_loss");
  REQUIRE(loss.size() == 60);
  CHECK(std::stod(loss.back()) < 0.2 * std::stod(loss.front()));  // memorised 64 random labels
  std::vector<std::string> val = column(a, "val_loss");
  CHECK(val.size() == 30);
}

}  // namespace
}  // namespace volt::trainer_test
