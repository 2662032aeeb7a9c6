// Shared by the callback e2e tests: runs the real `volt` binary (VOLT_TEST_VOLT_BINARY) on a
// small fit and reads the run's metrics.csv.
#pragma once

#include "support/csv_column.hpp"
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace volt::trainer_test::callbacks_e2e {

inline const std::string kVolt = VOLT_TEST_VOLT_BINARY;

inline ProcessResult volt(std::vector<std::string> args, const TempDir& tmp) {
  args.insert(args.begin(), kVolt);
  fs::create_directories(tmp / "cwd");
  fs::create_directories(tmp / "capture");
  return run_process(args, tmp / "cwd", tmp / "capture");
}

inline std::string describe(const ProcessResult& r) {
  return "exit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

// A small fit on random labels: validation loss cannot keep improving for long.
inline std::vector<std::string> fit_args(const TempDir& tmp, std::vector<std::string> extra) {
  std::vector<std::string> args{"fit",
                                "--model=mlp",
                                "--model.in_features=8",
                                "--model.hidden_sizes=[32]",
                                "--model.num_classes=3",
                                "--model.optimizer=adam",
                                "--model.lr=0.05",
                                "--data=synthetic",
                                "--data.shape=[8]",
                                "--data.size=192",
                                "--data.val_size=64",
                                "--data.test_size=16",
                                "--data.num_classes=3",
                                "--data.batch_size=32",
                                "--trainer.max_epochs=50",
                                "--trainer.log_every_n_steps=1",
                                "--trainer.enable_progress_bar=false",
                                "--trainer.enable_model_summary=false",
                                "--trainer.default_root_dir=" + (tmp / "root").string(),
                                "--seed_everything=3"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Values of one column of the run's metrics.csv, in row order (empty cells skipped).
inline std::vector<std::string> column(const TempDir& tmp, const std::string& name) {
  return test_csv::csv_column(tmp / "root/lightning_logs/version_0/metrics.csv", name);
}

}  // namespace volt::trainer_test::callbacks_e2e
