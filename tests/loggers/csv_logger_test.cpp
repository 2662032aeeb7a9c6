// What a fit writes through the shipped `csv` logger, read back with an independent minimal
// CSV reader, against Lightning's rules (lightning.md section 2, CSVLogger):
//  - metrics.csv: one row per log_metrics call, header = sorted union of all keys including
//    `epoch` and `step`, empty cells where a row has no value;
//  - step metrics reach the logger when (batches_that_stepped + 1) % log_every_n_steps == 0,
//    with step = batches_that_stepped before its increment (1, 3, 5, ... for every 2 steps);
//  - validation metrics at the end of each epoch, at the step of the epoch's last batch;
//  - train epoch metrics (on_epoch=True in training_step) at that same step: Lightning's
//    FitLoop.on_advance_end decrements _batches_that_stepped around
//    update_train_epoch_metrics "because loggers expect that the same step is used when
//    logging epoch-end metrics";
//  - hparams.yaml holds the module's hyper-parameters (merged with the datamodule's);
//  - every run gets the next free version_N under <save_dir>/lightning_logs.
#include "support/python.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>

namespace volt::trainer_test {
namespace {

// --- a minimal CSV reader (RFC 4180 quoting, no embedded newlines) ----------------------------

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      cells.push_back(cell);
      cell.clear();
    } else if (ch != '\r') {
      cell += ch;
    }
  }
  cells.push_back(cell);
  return cells;
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;  // every header key present, "" = empty

  static Csv read(const fs::path& path) {
    Csv csv;
    std::vector<std::string> lines = read_lines(path);
    REQUIRE(!lines.empty());
    csv.header = split_csv_line(lines[0]);
    for (size_t i = 1; i < lines.size(); ++i) {
      if (lines[i].empty()) continue;
      std::vector<std::string> cells = split_csv_line(lines[i]);
      INFO("line " << i + 1 << ": " << lines[i]);
      REQUIRE(cells.size() == csv.header.size());
      std::map<std::string, std::string> row;
      for (size_t k = 0; k < cells.size(); ++k) row[csv.header[k]] = cells[k];
      csv.rows.push_back(row);
    }
    return csv;
  }
};

double number(const std::string& cell) {
  INFO("cell '" << cell << "'");
  REQUIRE(!cell.empty());
  char* end = nullptr;
  double v = std::strtod(cell.c_str(), &end);
  REQUIRE(end == cell.c_str() + cell.size());
  return v;
}

std::vector<std::string> mlp_flags(const std::string& root, const std::string& loss_path) {
  return {"--model=mlp",
          "--model.in_features=8",
          "--model.hidden_sizes=[16]",
          "--model.num_classes=3",
          "--model.optimizer=sgd",
          "--model.lr=0.1",
          "--data=synthetic",
          "--data.shape=[8]",
          "--data.size=96",
          "--data.val_size=32",
          "--data.test_size=16",
          "--data.num_classes=3",
          "--data.batch_size=16",
          "--trainer.max_epochs=2",
          "--trainer.log_every_n_steps=2",
          "--trainer.enable_progress_bar=false",
          "--trainer.enable_model_summary=false",
          "--trainer.default_root_dir=" + root,
          "--logger=csv",
          "--seed_everything=3",
          "--callbacks+=loss_recorder",
          "--callbacks.path=" + loss_path};
}

TEST_CASE("metrics.csv after fit: Lightning's header, rows and steps", "[trainer][csv]") {
  TempDir tmp("csv");
  fs::path losses_path = tmp / "losses.txt";
  FitResult r = fit(resolve(mlp_flags(tmp.str(), losses_path.string())));
  fs::path dir = tmp / "lightning_logs/version_0";
  CHECK(fs::path(r.log_dir) == dir);
  REQUIRE(fs::exists(dir / "metrics.csv"));

  Csv csv = Csv::read(dir / "metrics.csv");
  CHECK(csv.header == std::vector<std::string>{"epoch", "step", "train_loss", "val_acc", "val_loss"});

  // 6 batches per epoch, 2 epochs, log_every_n_steps=2: train_loss at steps 1,3,5,7,9,11;
  // validation at the end of each epoch at the step of the last batch (5 and 11).
  struct Expected {
    bool train;
    int64_t step, epoch;
  };
  const std::vector<Expected> expected = {{true, 1, 0},  {true, 3, 0},  {true, 5, 0},
                                          {false, 5, 0}, {true, 7, 1},  {true, 9, 1},
                                          {true, 11, 1}, {false, 11, 1}};
  std::vector<RecordedLoss> losses = read_losses(losses_path);
  REQUIRE(losses.size() == 12);
  REQUIRE(csv.rows.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& row = csv.rows[i];
    const Expected& e = expected[i];
    INFO("row " << i << " (step " << row.at("step") << ")");
    CHECK(row.at("step") == std::to_string(e.step));
    CHECK(row.at("epoch") == std::to_string(e.epoch));
    if (e.train) {
      CHECK(row.at("val_acc").empty());
      CHECK(row.at("val_loss").empty());
      // accumulate_grad_batches=1: the step number is the global index of the batch, and the
      // value is that batch's loss, written so that it reads back exactly.
      CHECK(number(row.at("train_loss")) == losses.at(static_cast<size_t>(e.step)).outputs);
    } else {
      CHECK(row.at("train_loss").empty());
      double acc = number(row.at("val_acc"));
      CHECK(acc >= 0.0);
      CHECK(acc <= 1.0);
      CHECK(number(row.at("val_loss")) > 0.0);
    }
  }
  // The last validation row is what the trainer reports as callback metrics.
  CHECK(number(csv.rows.back().at("val_loss")) == r.callback_metrics.at("val_loss"));
  CHECK(number(csv.rows.back().at("val_acc")) == r.callback_metrics.at("val_acc"));
}

TEST_CASE("hparams.yaml holds the module's hyper-parameters as PyYAML reads them", "[trainer][csv][python]") {
  REQUIRE_PYTHON_TORCH();  // python3-yaml comes with scripts/install-deps.sh
  TempDir tmp("csv");
  std::vector<std::string> flags = mlp_flags(tmp.str(), (tmp / "losses.txt").string());
  // Values a YAML writer gets wrong for PyYAML (Lightning's reader): 1e-05 without a '.' is a
  // string there.
  flags.push_back("--model.lr=1e-05");
  fit(resolve(flags));
  fs::path yaml = tmp / "lightning_logs/version_0/hparams.yaml";
  REQUIRE(fs::exists(yaml));
  INFO(read_file(yaml));
  auto r = volt::test_python::run_python(R"(
import yaml
h = yaml.safe_load(open(")" + yaml.string() + R"("))
expected = {"in_features": 8, "num_classes": 3, "optimizer": "sgd", "lr": 1e-05,
            "weight_decay": 0.0, "hidden_sizes": [16], "batch_size": 16, "size": 96}
for key, value in expected.items():
    if h.get(key) != value or type(h.get(key)) is not type(value):
        print("%s: %r, expected %r" % (key, h.get(key), value))
print("checked")
)",
                                         tmp);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Lightning logs the datamodule's hyper-parameters (batch_size, size) with the module's.
  CHECK(r.out == "checked\n");
}

// Lightning (loggers/utilities.py::_log_hyperparams) refuses to merge the module's and the
// datamodule's hyper-parameters when a key is in both with different values: "Error while
// merging hparams: the keys [...] are present in both the LightningModule's and
// LightningDataModule's hparams but have different values." Here the model has 5 outputs for
// a 3-class dataset: training works, but the logged hparams would silently say
// num_classes: 5.
TEST_CASE("module and datamodule hyper-parameters that disagree are an error, as in Lightning",
          "[trainer][csv][lightning-divergence]") {
  TempDir tmp("csv");
  std::vector<std::string> flags = mlp_flags(tmp.str(), (tmp / "losses.txt").string());
  flags.push_back("--model.num_classes=5");  // data.num_classes stays 3
  CHECK_THROWS_WITH(fit(resolve(flags)), Catch::Contains("num_classes"));
}

TEST_CASE("each run in the same root gets the next version_N", "[trainer][csv]") {
  TempDir tmp("csv");
  FitResult first = fit(resolve(mlp_flags(tmp.str(), (tmp / "a.txt").string())));
  FitResult second = fit(resolve(mlp_flags(tmp.str(), (tmp / "b.txt").string())));
  CHECK(fs::path(first.log_dir) == tmp / "lightning_logs/version_0");
  CHECK(fs::path(second.log_dir) == tmp / "lightning_logs/version_1");
  CHECK(fs::exists(tmp / "lightning_logs/version_0/metrics.csv"));
  CHECK(fs::exists(tmp / "lightning_logs/version_1/metrics.csv"));
  // Same seed, same config: the same metrics, bit for bit.
  CHECK(read_file(tmp / "lightning_logs/version_0/metrics.csv") ==
        read_file(tmp / "lightning_logs/version_1/metrics.csv"));
}

TEST_CASE("train epoch metrics are logged at the step of the epoch's last batch, as in Lightning",
          "[trainer][csv][lightning-divergence]") {
  TempDir tmp("csv");
  fs::path losses_path = tmp / "losses.txt";
  std::vector<std::string> flags = {
      "--model=recording_module", "--model.in_features=4", "--model.num_classes=2",
      "--model.log_train_epoch=true", "--data=synthetic", "--data.shape=[4]",
      "--data.num_classes=2", "--data.size=96", "--data.val_size=32", "--data.test_size=8",
      "--data.batch_size=16", "--trainer.max_epochs=2", "--trainer.log_every_n_steps=2",
      "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
      "--trainer.default_root_dir=" + tmp.str(), "--logger=csv", "--seed_everything=3",
      "--callbacks+=loss_recorder", "--callbacks.path=" + losses_path.string()};
  fit(resolve(flags));
  Csv csv = Csv::read(tmp / "lightning_logs/version_0/metrics.csv");
  CHECK(csv.header ==
        std::vector<std::string>{"epoch", "step", "train_loss_epoch", "train_loss_step", "val_loss"});
  std::vector<RecordedLoss> losses = read_losses(losses_path);
  REQUIRE(losses.size() == 12);

  std::vector<std::string> step_rows, epoch_rows, val_rows;
  for (const auto& row : csv.rows) {
    if (!row.at("train_loss_step").empty()) step_rows.push_back(row.at("step"));
    if (!row.at("val_loss").empty()) val_rows.push_back(row.at("step"));
    if (!row.at("train_loss_epoch").empty()) {
      epoch_rows.push_back(row.at("step"));
      // Equal batch sizes: the epoch value is the plain mean of the epoch's 6 losses.
      int64_t epoch = std::stoll(row.at("epoch"));
      double sum = 0;
      for (const auto& l : losses)
        if (l.epoch == epoch) sum += l.outputs;
      CHECK(number(row.at("train_loss_epoch")) == Approx(sum / 6).epsilon(1e-6));
    }
  }
  CHECK(step_rows == std::vector<std::string>{"1", "3", "5", "7", "9", "11"});
  CHECK(val_rows == std::vector<std::string>{"5", "11"});
  CHECK(epoch_rows == std::vector<std::string>{"5", "11"});
}

}  // namespace
}  // namespace volt::trainer_test
