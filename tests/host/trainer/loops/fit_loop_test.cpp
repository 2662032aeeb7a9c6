// The fit loop against Lightning's documented behaviour and its tests' numbers: the validation
// schedule (val_check_interval, check_val_every_n_epoch), min_epochs against a stop request,
// and epoch-level training metrics seen by the monitoring callbacks at train epoch end.
#include "support/csv_column.hpp"
#include "support/require_error.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

namespace volt::trainer_test {
namespace {

// recording_module (a linear layer) on 80 synthetic samples in batches of 8: 10 batches an
// epoch, 2 validation batches, a csv logger that writes every step.
std::vector<std::string> fit_flags(const TempDir& tmp, std::vector<std::string> extra) {
  std::vector<std::string> flags = {
      "--model=recording_module", "--model.log_path=" + (tmp / "hooks.txt").string(),
      "--model.in_features=4", "--data=synthetic", "--data.shape=[4]", "--data.num_classes=2",
      "--data.size=80", "--data.val_size=16", "--data.test_size=8", "--data.batch_size=8",
      "--trainer.num_sanity_val_steps=0", "--trainer.log_every_n_steps=1",
      "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
      "--trainer.enable_checkpointing=false", "--trainer.default_root_dir=" + tmp.str(),
      "--seed_everything=5"};
  flags.insert(flags.end(), extra.begin(), extra.end());
  return flags;
}

struct CsvRows {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string cell(size_t row, const std::string& name) const {
    size_t col = std::find(header.begin(), header.end(), name) - header.begin();
    return col < rows[row].size() ? rows[row][col] : "";
  }
};

CsvRows read_metrics(const std::string& log_dir) {
  CsvRows out;
  std::ifstream in(fs::path(log_dir) / "metrics.csv");
  std::string line;
  if (std::getline(in, line)) out.header = test_csv::split_csv_line(line);
  while (std::getline(in, line)) out.rows.push_back(test_csv::split_csv_line(line));
  return out;
}

// The `step` of every metrics.csv row that has `metric`.
std::vector<int64_t> steps_with(const FitResult& run, const std::string& metric) {
  CsvRows csv = read_metrics(run.log_dir);
  std::vector<int64_t> steps;
  for (size_t i = 0; i < csv.rows.size(); ++i)
    if (!csv.cell(i, metric).empty()) steps.push_back(std::stoll(csv.cell(i, "step")));
  return steps;
}

TEST_CASE("an integer val_check_interval counts batches across epochs with "
          "check_val_every_n_epoch=None (Lightning: 3, 7, 11, 15, 19)",
          "[trainer][fit_loop][validation]") {
  TempDir tmp("val-schedule");
  std::vector<std::string> common{"--trainer.max_epochs=2", "--trainer.limit_val_batches=1",
                                  "--trainer.val_check_interval=4"};
  SECTION("check_val_every_n_epoch=None: the fit's batch count") {
    common.push_back("--trainer.check_val_every_n_epoch=null");
    FitResult run = fit(resolve(fit_flags(tmp, common)));
    CHECK(steps_with(run, "val_loss") == std::vector<int64_t>{3, 7, 11, 15, 19});
  }
  SECTION("check_val_every_n_epoch=1: each epoch's batch index") {
    FitResult run = fit(resolve(fit_flags(tmp, common)));
    CHECK(steps_with(run, "val_loss") == std::vector<int64_t>{3, 7, 13, 17});
  }
}

TEST_CASE("a val_check_interval longer than an epoch validates across epochs, or is "
          "Lightning's error with check_val_every_n_epoch set",
          "[trainer][fit_loop][validation]") {
  TempDir tmp("val-long");
  std::vector<std::string> flags{"--trainer.max_epochs=3", "--trainer.limit_val_batches=1",
                                 "--trainer.val_check_interval=15"};
  SECTION("None: every 15 batches of the fit") {
    flags.push_back("--trainer.check_val_every_n_epoch=null");
    FitResult run = fit(resolve(fit_flags(tmp, flags)));
    CHECK(steps_with(run, "val_loss") == std::vector<int64_t>{14, 29});
  }
  SECTION("1: refused before the first batch") {
    nlohmann::json resolved = resolve(fit_flags(tmp, flags));
    volt::test::require_error([&] { fit(resolved); },
                              {"`val_check_interval` (15) must be less than or equal to the number "
                               "of the training batches (10). If you want to disable validation "
                               "set `limit_val_batches` to 0.0 instead."});
  }
}

TEST_CASE("min_epochs keeps training after a stop request until that many epochs ran "
          "(Lightning: min_epochs=4 trains 4)",
          "[trainer][fit_loop]") {
  TempDir tmp("min-epochs");
  // The threshold is met at the first check: early stopping asks to stop after epoch 0.
  std::vector<std::string> stop{"--trainer.max_epochs=10", "--callbacks+=early_stopping",
                                "--callbacks.monitor=val_loss", "--callbacks.stopping_threshold=100"};
  FitResult alone = fit(resolve(fit_flags(tmp, stop)));
  CHECK(alone.current_epoch == 1);
  stop.push_back("--trainer.min_epochs=4");
  FitResult held = fit(resolve(fit_flags(tmp, stop)));
  CHECK(held.current_epoch == 4);
  CHECK(steps_with(held, "val_loss").size() == 4);
}

TEST_CASE("monitoring callbacks see the epoch's training metrics in on_train_epoch_end",
          "[trainer][fit_loop][metrics]") {
  TempDir tmp("epoch-metrics");
  std::vector<std::string> flags{"--model.log_train_epoch=true", "--trainer.max_epochs=3"};
  SECTION("with validation: early_stopping and model_checkpoint find train_loss_epoch") {
    std::vector<std::string> more{
        "--callbacks+=early_stopping", "--callbacks.monitor=train_loss_epoch",
        "--callbacks.patience=10", "--callbacks+=model_checkpoint",
        "--callbacks.monitor=train_loss_epoch", "--callbacks.dirpath=" + (tmp / "ck").string(),
        "--callbacks.filename={epoch}"};
    flags.insert(flags.end(), more.begin(), more.end());
    FitResult run = fit(resolve(fit_flags(tmp, flags)));
    CHECK(run.current_epoch == 3);
    CHECK(run.callback_metrics.count("train_loss_epoch") == 1);
  }
  SECTION("without validation: each epoch is scored with its own value") {
    // mode=max keeps the epoch with the highest epoch loss; scoring each epoch with the one
    // before it would keep another file.
    std::vector<std::string> more{
        "--trainer.limit_val_batches=0", "--callbacks+=model_checkpoint",
        "--callbacks.monitor=train_loss_epoch", "--callbacks.mode=max",
        "--callbacks.dirpath=" + (tmp / "ck").string(), "--callbacks.filename={epoch}"};
    flags.insert(flags.end(), more.begin(), more.end());
    FitResult run = fit(resolve(fit_flags(tmp, flags)));
    CsvRows csv = read_metrics(run.log_dir);
    std::vector<double> epoch_loss;
    for (size_t i = 0; i < csv.rows.size(); ++i)
      if (!csv.cell(i, "train_loss_epoch").empty())
        epoch_loss.push_back(std::stod(csv.cell(i, "train_loss_epoch")));
    REQUIRE(epoch_loss.size() == 3);
    auto best = std::max_element(epoch_loss.begin(), epoch_loss.end()) - epoch_loss.begin();
    std::vector<std::string> kept;
    for (const auto& e : fs::directory_iterator(tmp / "ck")) kept.push_back(e.path().filename().string());
    CHECK(kept == std::vector<std::string>{"epoch=" + std::to_string(best) + ".ckpt"});
  }
}

TEST_CASE("a logger that cannot finish writing fails the fit", "[trainer][fit_loop][loggers]") {
  TempDir tmp("finalize");
  nlohmann::json resolved = resolve(fit_flags(tmp, {"--trainer.max_epochs=1", "--logger=failing_logger"}));
  volt::test::require_error([&] { fit(resolved); },
                            {"logger 'failing_logger': finalize:", "No space left on device",
                             "the run's logs are incomplete"});
}

}  // namespace
}  // namespace volt::trainer_test
