// LightningCLI's config files and flags (host/config/lightning_cli.hpp): class_path/init_args,
// Lightning's class names as plugin ids, automatic optimizer and scheduler arguments,
// strategy=auto, --config before the subcommand, and Lightning's Trainer options that Volt
// has no counterpart for.
#include "config/config_error.hpp"
#include "config/lightning_cli.hpp"
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

using nlohmann::json;
using volt::host::config::ConfigError;
using volt::host::config::plugin_id_for_class;
using volt::host::config::testing::resolve;
using volt::host::config::testing::resolve_error;
using volt::host::config::testing::TempDir;

TEST_CASE("Lightning's class names and class paths name Volt plugins", "[config][lightning_cli]") {
  CHECK(plugin_id_for_class("EarlyStopping") == "early_stopping");
  CHECK(plugin_id_for_class("lightning.pytorch.callbacks.ModelCheckpoint") == "model_checkpoint");
  CHECK(plugin_id_for_class("pytorch_lightning.loggers.CSVLogger") == "csv");
  CHECK(plugin_id_for_class("LearningRateMonitor") == "lr_monitor");
  CHECK(plugin_id_for_class("lightning.pytorch.strategies.DDPStrategy") == "ddp");
  CHECK(plugin_id_for_class("my_project.models.LitMLP") == "lit_mlp");
  CHECK(plugin_id_for_class("my_project.data.MNISTDataModule") == "mnist_data_module");
  CHECK(plugin_id_for_class("volt.mlp") == "mlp");
  CHECK_FALSE(plugin_id_for_class("mlp"));  // a Volt id stays as it is
  CHECK_FALSE(plugin_id_for_class("16-mixed"));
}

TEST_CASE("a LightningCLI config file runs: class_path, init_args, trainer.callbacks, "
          "optimizer and lr_scheduler",
          "[config][lightning_cli]") {
  TempDir dir;
  std::string file = dir.write("config.yaml", R"yaml(
seed_everything: 7
trainer:
  max_epochs: 3
  strategy: auto
  logger:
    class_path: lightning.pytorch.loggers.CSVLogger
    init_args:
      name: runs
  callbacks:
    - class_path: lightning.pytorch.callbacks.EarlyStopping
      init_args:
        monitor: val_loss
        patience: 5
    - class_path: ModelCheckpoint
      init_args:
        monitor: val_loss
model:
  class_path: volt.mlp
  init_args:
    hidden_sizes: [64, 32]
data:
  class_path: volt.fashion_mnist
  init_args:
    batch_size: 128
optimizer:
  class_path: torch.optim.SGD
  init_args:
    lr: 0.05
)yaml");
  json r = resolve({"fit", "--config", file});
  CHECK(r["trainer"]["max_epochs"] == 3);
  CHECK(r["strategy"]["id"] == "single_device");
  CHECK(r["logger"][0]["id"] == "csv");
  CHECK(r["logger"][0]["config"]["name"] == "runs");
  REQUIRE(r["callbacks"].size() == 2);
  CHECK(r["callbacks"][0]["id"] == "early_stopping");
  CHECK(r["callbacks"][0]["config"]["patience"] == 5);
  CHECK(r["callbacks"][1]["id"] == "model_checkpoint");
  CHECK(r["model"]["id"] == "mlp");
  CHECK(r["model"]["config"]["hidden_sizes"] == json::array({64, 32}));
  CHECK(r["model"]["config"]["optimizer"] == "sgd");
  CHECK(r["model"]["config"]["lr"] == 0.05);
  CHECK(r["data"]["config"]["batch_size"] == 128);
}

TEST_CASE("LightningCLI flags: init_args, class_path, callbacks by class name, --optimizer",
          "[config][lightning_cli]") {
  json r = resolve({"fit", "--model.class_path=mlp", "--model.init_args.num_classes=3",
                    "--data=fashion_mnist", "--trainer.callbacks+=EarlyStopping",
                    "--trainer.callbacks.init_args.monitor=val_acc", "--optimizer=Adam",
                    "--optimizer.lr=0.2"});
  CHECK(r["model"]["id"] == "mlp");
  CHECK(r["model"]["config"]["num_classes"] == 3);
  CHECK(r["model"]["config"]["optimizer"] == "adam");
  CHECK(r["model"]["config"]["lr"] == 0.2);
  REQUIRE(r["callbacks"].size() == 1);
  CHECK(r["callbacks"][0]["id"] == "early_stopping");
  CHECK(r["callbacks"][0]["config"]["monitor"] == "val_acc");
}

TEST_CASE("a plain model: section is the module's options", "[config][lightning_cli]") {
  TempDir dir;
  std::string file = dir.write("model.yaml", "model:\n  num_classes: 4\n");
  json r = resolve({"fit", "--model=mlp", "--data=fashion_mnist", "--config", file});
  CHECK(r["model"]["id"] == "mlp");
  CHECK(r["model"]["config"]["num_classes"] == 4);
}

TEST_CASE("config files may come before the subcommand, below the options after it",
          "[config][lightning_cli]") {
  TempDir dir;
  std::string file = dir.write("c.yaml", "model: mlp\ndata: fashion_mnist\ntrainer:\n  max_epochs: 2\n");
  json r = resolve({"--config", file, "fit", "--trainer.max_epochs=5"});
  CHECK(r["model"]["id"] == "mlp");
  CHECK(r["trainer"]["max_epochs"] == 5);
  CHECK_THAT(resolve_error({"--trainer.max_epochs=5", "fit"}),
             Catch::Contains("unknown subcommand '--trainer.max_epochs=5'") &&
                 Catch::Contains("Available: fit, validate, test, predict"));
}

TEST_CASE("strategy=auto is ddp for several devices, else single_device", "[config][lightning_cli]") {
  CHECK(resolve({"fit", "--model=mlp", "--data=fashion_mnist", "--trainer.strategy=auto"})
            ["strategy"]["id"] == "single_device");
  CHECK(resolve({"fit", "--model=mlp", "--data=fashion_mnist", "--trainer.strategy=auto",
                 "--trainer.devices=2"})["strategy"]["id"] == "ddp");
}

TEST_CASE("Lightning's Trainer options: accepted with their meaning, or refused by name",
          "[config][lightning_cli]") {
  json r = resolve({"fit", "--model=mlp", "--data=fashion_mnist", "--trainer.inference_mode=false",
                    "--trainer.benchmark=true", "--trainer.detect_anomaly=true",
                    "--trainer.use_distributed_sampler=true", "--trainer.sync_batchnorm=false",
                    "--trainer.reload_dataloaders_every_n_epochs=0"});
  CHECK(r["trainer"]["inference_mode"] == false);
  CHECK(r["trainer"]["detect_anomaly"] == true);
  CHECK_THAT(resolve_error({"fit", "--model=mlp", "--data=fashion_mnist",
                       "--trainer.reload_dataloaders_every_n_epochs=2"}),
             Catch::Contains("trainer.reload_dataloaders_every_n_epochs: 2 is not supported"));
  CHECK_THAT(resolve_error({"fit", "--model=mlp", "--data=fashion_mnist",
                       "--trainer.use_distributed_sampler=false"}),
             Catch::Contains("trainer.use_distributed_sampler: false is not supported"));
  CHECK_THAT(resolve_error({"fit", "--model=mlp", "--data=fashion_mnist", "--trainer.sync_batchnorm=true"}),
             Catch::Contains("trainer.sync_batchnorm: true is not supported"));
  CHECK_THAT(resolve_error({"fit", "--model=mlp", "--data=fashion_mnist", "--trainer.profiler=simple"}),
             Catch::Contains("trainer.profiler: \"simple\" is not supported"));
}

TEST_CASE("barebones turns off the logger, progress bar, summary and checkpointing",
          "[config][lightning_cli]") {
  json r = resolve({"fit", "--model=mlp", "--data=fashion_mnist", "--trainer.barebones=true"});
  CHECK(r["logger"] == false);
  CHECK(r["trainer"]["enable_progress_bar"] == false);
  CHECK(r["trainer"]["enable_model_summary"] == false);
  CHECK(r["trainer"]["enable_checkpointing"] == false);
  CHECK_THAT(resolve_error({"fit", "--model=mlp", "--data=fashion_mnist", "--trainer.barebones=true",
                       "--trainer.enable_checkpointing=true"}),
             Catch::Contains("`Trainer(barebones=True)` was passed with `enable_checkpointing=True`"));
}

TEST_CASE("a float val_check_interval with check_val_every_n_epoch=None is Lightning's error",
          "[config][lightning_cli]") {
  CHECK_THAT(resolve_error({"fit", "--model=mlp", "--data=fashion_mnist",
                       "--trainer.check_val_every_n_epoch=null", "--trainer.val_check_interval=0.5"}),
             Catch::Contains("`val_check_interval` should be an integer when "
                             "`check_val_every_n_epoch=None`, found 0.5."));
  // The default 1.0 is not given, so it passes (Lightning checks the value passed).
  CHECK(resolve({"fit", "--model=mlp", "--data=fashion_mnist",
                 "--trainer.check_val_every_n_epoch=null"})["trainer"]["val_check_interval"] == 1.0);
}
