// The jsonl and mlflow loggers next to csv in one run: every value csv wrote is in the JSON
// lines and in MLflow's store, read back here against the layouts documented in
// loggers/jsonl/jsonl_logger.cpp and loggers/mlflow/mlflow_store.hpp (MLflow's file store).
#include "support/csv_column.hpp"
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>

using namespace volt::trainer_test;  // NOLINT: TempDir, run_process

namespace {

const std::string kVolt = VOLT_TEST_VOLT_BINARY;

std::string describe(const ProcessResult& r) {
  return "exit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

ProcessResult fit(const TempDir& tmp, const std::vector<std::string>& extra) {
  std::vector<std::string> args{
      kVolt, "fit", "--model=mlp", "--model.in_features=8", "--model.hidden_sizes=[16]",
      "--model.num_classes=3", "--data=synthetic", "--data.shape=[8]", "--data.size=128",
      "--data.val_size=32", "--data.num_classes=3", "--data.batch_size=16",
      "--trainer.max_epochs=2", "--trainer.log_every_n_steps=2",
      "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
      "--trainer.default_root_dir=" + (tmp / "root").string(), "--seed_everything=1"};
  args.insert(args.end(), extra.begin(), extra.end());
  fs::create_directories(tmp / "run");
  return run_process(args, tmp / "run", tmp / "run");
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "key: value" from a meta.yaml, quotes removed.
std::string yaml_value(const fs::path& meta, const std::string& key) {
  std::smatch m;
  std::string text = slurp(meta);
  if (!std::regex_search(text, m, std::regex("(^|\n)" + key + ": '?([^'\n]*)'?"))) return "<missing>";
  return m[2];
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("jsonl and mlflow hold what csv holds, in their layouts", "[loggers][e2e]") {
  TempDir tmp("file-loggers");
  ProcessResult r = fit(tmp, {"--logger=csv,mlflow,jsonl", "--logger.mlflow.experiment_name=volt-test",
                              "--logger.mlflow.run_name=first", "--logger.mlflow.tags={\"team\": \"c++\"}"});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  fs::path csv = tmp / "root/lightning_logs/version_0/metrics.csv";
  std::vector<std::string> steps = volt::test_csv::csv_column(csv, "step");
  std::vector<std::string> losses = volt::test_csv::csv_column(csv, "train_loss");
  REQUIRE(losses.size() >= 4);

  SECTION("jsonl: one object per logging call with step, epoch, wall time and metrics") {
    // The jsonl logger is not first: it picked the next free version folder of lightning_logs.
    fs::path file = tmp / "root/lightning_logs/version_1/metrics.jsonl";
    std::vector<nlohmann::json> rows;
    for (const auto& line : lines_of(file)) rows.push_back(nlohmann::json::parse(line));
    REQUIRE(rows.size() == steps.size());  // csv writes one row per call too
    std::vector<double> jsonl_losses;
    for (size_t i = 0; i < rows.size(); ++i) {
      CHECK(rows[i]["step"].get<int64_t>() == std::stoll(steps[i]));
      CHECK(rows[i].contains("epoch"));
      CHECK(rows[i]["wall_time"].get<double>() > 1.6e9);
      if (rows[i]["metrics"].contains("train_loss")) jsonl_losses.push_back(rows[i]["metrics"]["train_loss"]);
    }
    REQUIRE(jsonl_losses.size() == losses.size());
    for (size_t i = 0; i < losses.size(); ++i) CHECK(jsonl_losses[i] == std::stod(losses[i]));
  }

  SECTION("mlflow: experiment, run meta, metrics, params and tags in the file store") {
    fs::path store = tmp / "root/mlruns";
    CHECK(yaml_value(store / "0/meta.yaml", "name") == "Default");
    CHECK(yaml_value(store / "1/meta.yaml", "name") == "volt-test");
    CHECK(yaml_value(store / "1/meta.yaml", "experiment_id") == "1");
    CHECK(yaml_value(store / "1/meta.yaml", "lifecycle_stage") == "active");
    std::vector<fs::path> runs;
    for (const auto& e : fs::directory_iterator(store / "1"))
      if (e.is_directory()) runs.push_back(e.path());
    REQUIRE(runs.size() == 1);
    fs::path run = runs.front();
    std::string run_id = run.filename().string();
    CHECK(std::regex_match(run_id, std::regex("[0-9a-f]{32}")));
    CHECK(yaml_value(run / "meta.yaml", "run_id") == run_id);
    CHECK(yaml_value(run / "meta.yaml", "run_uuid") == run_id);
    CHECK(yaml_value(run / "meta.yaml", "experiment_id") == "1");
    CHECK(yaml_value(run / "meta.yaml", "status") == "3");  // FINISHED
    CHECK(yaml_value(run / "meta.yaml", "end_time") != "null");
    CHECK(std::stoll(yaml_value(run / "meta.yaml", "end_time")) >=
          std::stoll(yaml_value(run / "meta.yaml", "start_time")));
    CHECK(yaml_value(run / "meta.yaml", "artifact_uri") == "file://" + (run / "artifacts").string());
    CHECK(slurp(run / "tags/mlflow.runName") == "first");
    CHECK(slurp(run / "tags/team") == "c++");
    CHECK(slurp(run / "params/lr") == "0.001");  // mlp's default lr, from its hparams
    CHECK(slurp(run / "params/hidden_sizes") == "[16]");
    // metrics/<key>: "<timestamp ms> <value> <step>" per logged value.
    std::vector<std::string> metric_lines = lines_of(run / "metrics/train_loss");
    REQUIRE(metric_lines.size() == losses.size());
    for (size_t i = 0; i < metric_lines.size(); ++i) {
      std::istringstream fields(metric_lines[i]);
      int64_t timestamp = 0, step = 0;
      double value = 0;
      fields >> timestamp >> value >> step;
      CHECK(timestamp > 1600000000000LL);
      CHECK(value == std::stod(losses[i]));
    }
  }
}

TEST_CASE("a failed run leaves its MLflow run FAILED with what was logged", "[loggers][e2e]") {
  TempDir tmp("mlflow-failed");
  ProcessResult r = fit(tmp, {"--logger=mlflow", "--ckpt_path=" + (tmp / "missing.ckpt").string()});
  INFO(describe(r));
  REQUIRE(r.exit_code != 0);
  fs::path experiment = tmp / "root/mlruns/1";
  std::vector<fs::path> runs;
  for (const auto& e : fs::directory_iterator(experiment))
    if (e.is_directory()) runs.push_back(e.path());
  REQUIRE(runs.size() == 1);
  CHECK(yaml_value(runs.front() / "meta.yaml", "status") == "4");  // FAILED
  CHECK(yaml_value(experiment / "meta.yaml", "name") == "lightning_logs");
}
