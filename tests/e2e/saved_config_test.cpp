// The real `volt` binary as a user runs it (a child process; its plugins come from the build's
// lib/volt/plugins next to it):
//  - the config.yaml saved with a run reproduces it: `volt fit --config config.yaml` alone
//    writes the next version_N in the same root with an identical metrics.csv (the same losses
//    bit for bit), hparams.yaml and config.yaml (LightningCLI's SaveConfigCallback, lightning.md
//    section 10), and a run never replaces another run's config.yaml unless asked;
//  - seed_everything decides the initial weights (another seed, other losses);
//  - config errors exit with code 2 and list what is available; a missing Fashion-MNIST folder
//    names the package that provides it.
#include "config/yaml_format.hpp"
#include "support/csv_column.hpp"
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <algorithm>

namespace volt::trainer_test {
namespace {

const std::string kVolt = VOLT_TEST_VOLT_BINARY;

ProcessResult volt(std::vector<std::string> args, const fs::path& cwd, const fs::path& capture) {
  args.insert(args.begin(), kVolt);
  fs::create_directories(cwd);
  fs::create_directories(capture);
  return run_process(args, cwd, capture);
}

std::string describe(const ProcessResult& r) {
  return "exit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

std::vector<std::string> fit_args(const std::string& root, int seed) {
  return {"fit",
          "--model=mlp",
          "--model.in_features=8",
          "--model.hidden_sizes=[16]",
          "--model.num_classes=3",
          "--model.optimizer=adam",
          "--model.lr=0.01",
          "--data=synthetic",
          "--data.shape=[8]",
          "--data.size=96",
          "--data.val_size=32",
          "--data.test_size=16",
          "--data.num_classes=3",
          "--data.batch_size=16",
          "--trainer.max_epochs=2",
          "--trainer.log_every_n_steps=1",
          "--trainer.enable_progress_bar=false",
          "--trainer.enable_model_summary=false",
          "--trainer.default_root_dir=" + root,
          "--seed_everything=" + std::to_string(seed)};
}

// The train_loss column of a metrics.csv, as written.
std::vector<std::string> train_losses(const fs::path& csv) {
  return test_csv::csv_column(csv, "train_loss");
}

TEST_CASE("volt fit --config <saved config.yaml> reproduces the run", "[e2e][config]") {
  TempDir tmp("e2e");
  const fs::path root = tmp / "root";
  const fs::path v0 = root / "lightning_logs/version_0";
  const fs::path v1 = root / "lightning_logs/version_1";

  ProcessResult first = volt(fit_args(root.string(), 7), tmp / "cwd1", tmp / "capture1");
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  REQUIRE(fs::exists(v0 / "config.yaml"));
  REQUIRE(fs::exists(v0 / "metrics.csv"));
  REQUIRE(fs::exists(v0 / "hparams.yaml"));
  CHECK_FALSE(fs::exists(tmp / "cwd1/lightning_logs"));  // default_root_dir was honoured

  nlohmann::json saved =
      volt::host::config::parse_yaml(read_file(v0 / "config.yaml"), "config.yaml");
  CHECK(saved["seed_everything"] == 7);
  CHECK(saved["trainer"]["default_root_dir"] == root.string());
  REQUIRE(saved["logger"].is_array());
  CHECK(saved["logger"][0]["config"]["save_dir"] == root.string());
  CHECK(saved["model"]["config"]["hidden_sizes"] == nlohmann::json::array({16}));

  // Only the saved file, from another working directory.
  ProcessResult again = volt({"fit", "--config", (v0 / "config.yaml").string()}, tmp / "cwd2",
                             tmp / "capture2");
  INFO(describe(again));
  REQUIRE(again.exit_code == 0);
  REQUIRE(fs::exists(v1 / "metrics.csv"));
  CHECK_FALSE(fs::exists(tmp / "cwd2/lightning_logs"));
  CHECK(train_losses(v0 / "metrics.csv").size() == 12);
  CHECK(read_file(v1 / "metrics.csv") == read_file(v0 / "metrics.csv"));
  CHECK(read_file(v1 / "hparams.yaml") == read_file(v0 / "hparams.yaml"));
  CHECK(read_file(v1 / "config.yaml") == read_file(v0 / "config.yaml"));

  SECTION("a run into a folder that holds a config.yaml stops before training, unless asked") {
    const std::string config_before = read_file(v0 / "config.yaml");
    const std::string metrics_before = read_file(v0 / "metrics.csv");
    std::vector<std::string> args = fit_args(root.string(), 9);
    args.push_back("--logger.csv.version=0");
    ProcessResult refused = volt(args, tmp / "cwd4", tmp / "capture4");
    INFO(describe(refused));
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find((v0 / "config.yaml").string() + " already exists; refusing to "
                           "overwrite the config of a previous run") != std::string::npos);
    CHECK(refused.err.find("--overwrite-config") != std::string::npos);
    CHECK(read_file(v0 / "config.yaml") == config_before);
    CHECK(read_file(v0 / "metrics.csv") == metrics_before);
    CHECK_FALSE(fs::exists(root / "lightning_logs/version_2"));

    args.push_back("--overwrite-config");
    ProcessResult replaced = volt(args, tmp / "cwd5", tmp / "capture5");
    INFO(describe(replaced));
    REQUIRE(replaced.exit_code == 0);
    nlohmann::json now = volt::host::config::parse_yaml(read_file(v0 / "config.yaml"), "config");
    CHECK(now["seed_everything"] == 9);
  }

  SECTION("another seed_everything gives other initial weights, so other losses") {
    ProcessResult other = volt(fit_args(root.string(), 8), tmp / "cwd3", tmp / "capture3");
    INFO(describe(other));
    REQUIRE(other.exit_code == 0);
    const fs::path v2 = root / "lightning_logs/version_2";
    REQUIRE(fs::exists(v2 / "metrics.csv"));
    std::vector<std::string> a = train_losses(v0 / "metrics.csv");
    std::vector<std::string> b = train_losses(v2 / "metrics.csv");
    REQUIRE(a.size() == b.size());
    REQUIRE(!a.empty());
    CHECK(a.front() != b.front());
  }
}

// Lightning's CLI seeds before it instantiates the model, so seed_everything makes the initial
// weights reproducible. The test plugin loss_recorder writes the module's parameters at
// on_fit_start; they must be what the same layers draw right after torch::manual_seed(seed).
TEST_CASE("volt fit --seed_everything=N seeds before the module is created", "[e2e][config]") {
  TempDir tmp("e2e");
  const fs::path params = tmp / "params.txt";
  std::vector<std::string> args = fit_args((tmp / "root").string(), 7);
  args.insert(args.end(), {"--trainer.max_epochs=1", "--trainer.limit_train_batches=1",
                           "--trainer.limit_val_batches=0", "--logger=false",
                           "--plugin-dir", extra_plugin_dir().string(),
                           "--callbacks+=loss_recorder",
                           "--callbacks.path=" + (tmp / "losses.txt").string(),
                           "--callbacks.params_path=" + params.string()});
  ProcessResult r = volt(args, tmp / "cwd", tmp / "capture");
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);

  torch::manual_seed(7);
  torch::nn::Linear first(8, 16);  // Mlp builds its layers in this order
  torch::nn::Linear second(16, 3);
  const std::vector<std::pair<std::string, torch::Tensor>> expected = {
      {"layers.0.weight", first->weight}, {"layers.0.bias", first->bias},
      {"layers.2.weight", second->weight}, {"layers.2.bias", second->bias}};

  std::vector<std::string> lines = read_lines(params);
  REQUIRE(lines.size() == expected.size());
  for (size_t k = 0; k < expected.size(); ++k) {
    std::istringstream in(lines[k]);
    std::string name;
    in >> name;
    CHECK(name == expected[k].first);
    torch::Tensor want = expected[k].second.detach().to(torch::kDouble).contiguous().view(-1);
    std::vector<double> got;
    for (std::string v; in >> v;) got.push_back(std::strtod(v.c_str(), nullptr));
    REQUIRE(static_cast<int64_t>(got.size()) == want.numel());
    int64_t differing = 0;
    for (int64_t i = 0; i < want.numel(); ++i)
      if (got[static_cast<size_t>(i)] != want[i].item<double>()) ++differing;
    INFO(name);
    CHECK(differing == 0);
  }
}

TEST_CASE("volt fit with an unknown module id exits with code 2 and lists the modules",
          "[e2e][config]") {
  TempDir tmp("e2e");
  ProcessResult r = volt({"fit", "--model=nope", "--data=synthetic",
                          "--trainer.default_root_dir=" + (tmp / "root").string()},
                         tmp / "cwd", tmp / "capture");
  INFO(describe(r));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("'nope'") && Catch::Contains("Available modules:") &&
                        Catch::Contains("cnn") && Catch::Contains("mlp"));
  CHECK_FALSE(fs::exists(tmp / "root/lightning_logs"));  // nothing ran
}

TEST_CASE("volt fit on a missing Fashion-MNIST folder names the package to install",
          "[e2e][config]") {
  TempDir tmp("e2e");
  ProcessResult r = volt({"fit", "--model=mlp", "--data=fashion_mnist",
                          "--data.path=/nonexistent/fashion-mnist", "--trainer.max_epochs=1",
                          "--trainer.enable_progress_bar=false",
                          "--trainer.enable_model_summary=false",
                          "--trainer.default_root_dir=" + (tmp / "root").string()},
                         tmp / "cwd", tmp / "capture");
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK(r.exit_code != 2);  // not a config error: the config is valid, the data is missing
  CHECK_THAT(r.err, Catch::Contains("dataset-fashion-mnist") &&
                        Catch::Contains("/nonexistent/fashion-mnist"));
}

}  // namespace
}  // namespace volt::trainer_test
