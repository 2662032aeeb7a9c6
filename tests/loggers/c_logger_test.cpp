// The plain C logger of examples/c_logger, built with the C compiler, loaded through the host:
// it receives the same values csv writes, and the run's end status.
#include "support/csv_column.hpp"
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace volt::trainer_test;  // NOLINT: TempDir, run_process

TEST_CASE("a logger written in plain C gets every logged value", "[loggers][c][e2e]") {
  TempDir tmp("c-logger");
  std::vector<std::string> args{
      VOLT_TEST_VOLT_BINARY, "fit", "--plugin-dir=" + std::string(VOLT_TEST_C_LOGGER_DIR),
      "--model=mlp", "--model.in_features=8", "--model.hidden_sizes=[16]", "--model.num_classes=3",
      "--data=synthetic", "--data.shape=[8]", "--data.size=64", "--data.val_size=16",
      "--data.num_classes=3", "--data.batch_size=16", "--trainer.max_epochs=2",
      "--trainer.log_every_n_steps=1", "--trainer.enable_progress_bar=false",
      "--trainer.enable_model_summary=false", "--trainer.default_root_dir=" + (tmp / "root").string(),
      "--logger=csv,tsv"};
  fs::create_directories(tmp / "run");
  ProcessResult r = run_process(args, tmp / "run", tmp / "run");
  INFO("exit " << r.exit_code << "\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);

  std::ifstream tsv(tmp / "root/metrics.tsv");
  std::string line;
  std::getline(tsv, line);
  CHECK(line == "step\tname\tvalue");
  std::vector<double> losses;
  std::string last;
  bool hparams = false;
  while (std::getline(tsv, line)) {
    last = line;
    if (line.rfind("# hparams\t{", 0) == 0) hparams = true;
    std::istringstream fields(line);
    std::string step, name, value;
    std::getline(fields, step, '\t');
    std::getline(fields, name, '\t');
    std::getline(fields, value, '\t');
    if (name == "train_loss") losses.push_back(std::stod(value));
  }
  CHECK(hparams);
  CHECK(last == "# status\tsuccess");
  std::vector<std::string> csv = volt::test_csv::csv_column(tmp / "root/lightning_logs/version_0/metrics.csv", "train_loss");
  REQUIRE(losses.size() == csv.size());
  REQUIRE_FALSE(losses.empty());
  for (size_t i = 0; i < csv.size(); ++i) CHECK(losses[i] == std::stod(csv[i]));
}
