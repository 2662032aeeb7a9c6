#include "config/config_error.hpp"
#include "config/config_resolver.hpp"
#include "config/yaml_format.hpp"
#include "config_test_support.hpp"

#include <volt/sdk/yaml_writer.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using nlohmann::json;
using volt::host::config::ConfigError;
using volt::host::config::parse_command_line;
using volt::host::config::to_pretty_json;
using volt::host::config::validate_and_fill;
using volt::host::config::testing::Env;
using volt::host::config::testing::fake_ids;
using volt::host::config::testing::fake_lookup;
using volt::host::config::testing::resolve;
using volt::host::config::testing::TempDir;

namespace {

const std::vector<std::string> kMinimal{"fit", "--model=mlp", "--data=fashion_mnist",
                                        "--seed_everything=7"};

std::vector<std::string> minimal_plus(const std::vector<std::string>& extra) {
  std::vector<std::string> args = kMinimal;
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string error_of(const std::vector<std::string>& args, const Env& env = {}) {
  try {
    resolve(args, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string error_of_config(const json& config) {
  try {
    validate_and_fill(config, fake_lookup(), fake_ids());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

TEST_CASE("a minimal command line resolves to a complete config", "[config][resolve]") {
  const json expected = json::parse(R"({
    "seed_everything": 7,
    "trainer": {
      "accelerator": "auto", "devices": "auto", "num_nodes": 1, "num_threads": null, "heartbeat_timeout": 20,
      "max_epochs": null, "min_epochs": null, "max_steps": -1, "min_steps": null, "max_time": null,
      "limit_train_batches": 1.0, "limit_val_batches": 1.0, "limit_test_batches": 1.0,
      "limit_predict_batches": 1.0, "overfit_batches": 0.0,
      "check_val_every_n_epoch": 1, "val_check_interval": 1.0, "num_sanity_val_steps": 2,
      "log_every_n_steps": 50, "enable_progress_bar": true, "enable_model_summary": true,
      "enable_checkpointing": true, "accumulate_grad_batches": 1, "gradient_clip_val": null,
      "gradient_clip_algorithm": "norm", "deterministic": false, "default_root_dir": null,
      "fast_dev_run": false, "inference_mode": true, "benchmark": null, "detect_anomaly": false,
      "barebones": false, "reload_dataloaders_every_n_epochs": 0, "use_distributed_sampler": true,
      "sync_batchnorm": false, "profiler": null},
    "model": {"id": "mlp", "config": {"in_features": 784, "hidden_sizes": [128],
                                      "num_classes": 10, "lr": 0.001, "optimizer": "adam"}},
    "data": {"id": "fashion_mnist", "config": {"root": "data", "batch_size": 64,
                                               "num_workers": 0}},
    "strategy": {"id": "single_device", "config": {}},
    "precision": {"id": "32-true", "config": {}},
    "logger": [{"id": "csv", "config": {"name": "lightning_logs",
                                        "flush_logs_every_n_steps": 100}}],
    "callbacks": [],
    "ckpt_path": null})");
  CHECK(resolve(kMinimal) == expected);
}

TEST_CASE("options reach the plugin configs, with defaults around them", "[config][resolve]") {
  const json config = resolve(minimal_plus(
      {"--model.hidden_sizes=[256,128]", "--model.optimizer=sgd", "--data.batch_size=128",
       "--strategy=ddp", "--precision=16-mixed", "--logger=csv,tensorboard",
       "--logger.csv.flush_logs_every_n_steps=10", "--trainer.callbacks+=early_stopping",
       "--trainer.callbacks.monitor=val_loss", "--ckpt_path=last", "--trainer.max_epochs=3"}));
  CHECK(config["model"]["config"]["hidden_sizes"] == json{256, 128});
  CHECK(config["model"]["config"]["optimizer"] == "sgd");
  CHECK(config["model"]["config"]["lr"] == 0.001);
  CHECK(config["data"]["config"]["batch_size"] == 128);
  CHECK(config["strategy"] == json::parse(R"({"id": "ddp", "config": {"find_unused_parameters": false}})"));
  CHECK(config["precision"] == json::parse(R"({"id": "16-mixed", "config": {"init_scale": 65536.0}})"));
  CHECK(config["logger"] == json::parse(R"([
    {"id": "csv", "config": {"name": "lightning_logs", "flush_logs_every_n_steps": 10}},
    {"id": "tensorboard", "config": {"log_graph": false}}])"));
  CHECK(config["callbacks"] == json::parse(R"([
    {"id": "early_stopping", "config": {"monitor": "val_loss", "patience": 3, "mode": "min"}}])"));
  CHECK(config["ckpt_path"] == "last");
  CHECK(config["trainer"]["max_epochs"] == 3);
  CHECK(resolve(minimal_plus({"--logger=false"}))["logger"] == false);
  CHECK(resolve(minimal_plus({"--logger=[]"}))["logger"] == json::array());
}

TEST_CASE("the lookups see the kinds of the plugin ABI", "[config][resolve]") {
  std::vector<std::string> kinds;
  const auto recording = [&](const std::string& kind, const std::string& id) {
    kinds.push_back(kind);
    return fake_lookup()(kind, id);
  };
  validate_and_fill(parse_command_line(minimal_plus({"--callbacks+=model_checkpoint"}), {}).config,
                    recording, fake_ids());
  CHECK(kinds == std::vector<std::string>{"model", "data", "strategy", "precision", "logger",
                                          "callback"});
}

TEST_CASE("missing and unknown plugins", "[config][resolve]") {
  CHECK(error_of({"fit", "--data=fashion_mnist"}) ==
        "no model selected: pass --model=ID (available: cnn, mlp)");
  CHECK(error_of({"test", "--model=mlp"}) ==
        "no datamodule selected: pass --data=ID (available: fashion_mnist)");
  CHECK(error_of({"fit", "--model.lr=0.1", "--data=fashion_mnist"}) ==
        "no model selected: pass --model=ID (available: cnn, mlp)");
  CHECK(error_of(minimal_plus({"--model=mpl"})) ==
        "model: unknown id 'mpl'; did you mean 'mlp'? Available modules: cnn, mlp");
  CHECK(error_of(minimal_plus({"--model=transformer"})) ==
        "model: unknown id 'transformer'. Available modules: cnn, mlp");
  CHECK(error_of(minimal_plus({"--data=fashion"})) ==
        "data: unknown id 'fashion'. Available datamodules: fashion_mnist");
  CHECK(error_of(minimal_plus({"--strategy=dpp"})) ==
        "strategy: unknown id 'dpp'; did you mean 'ddp'? Available strategies: ddp, single_device");
  CHECK(error_of(minimal_plus({"--precision=8"})) ==
        "precision: unknown id '8'. Available precision plugins: 16-mixed, 32-true");
  CHECK(error_of(minimal_plus({"--precision=16"})).empty());  // Lightning's alias of 16-mixed
  CHECK(error_of(minimal_plus({"--logger=wandb"})) ==
        "logger.wandb: unknown id 'wandb'. Available loggers: csv, tensorboard");
  CHECK(error_of(minimal_plus({"--callbacks+=early_stop"})) ==
        "callbacks[0]: unknown id 'early_stop'; did you mean 'early_stopping'? Available "
        "callbacks: early_stopping, model_checkpoint");
  const auto nothing = [](const std::string&) { return std::vector<std::string>(); };
  const auto none = [](const std::string&, const std::string&) -> std::optional<json> {
    return std::nullopt;
  };
  try {
    validate_and_fill(parse_command_line(kMinimal, {}).config, none, nothing);
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "model: unknown id 'mlp'. Available modules: none (is --plugin-dir right?)");
  }
}

TEST_CASE("plugin and trainer options are checked with their key paths", "[config][resolve]") {
  CHECK(error_of(minimal_plus({"--model.lr=abc"})) == "model.lr: expected a number, got \"abc\"");
  CHECK(error_of(minimal_plus({"--model.hiden_sizes=[1]"})) ==
        "model.hiden_sizes: unknown key; did you mean 'hidden_sizes'? Accepted keys: "
        "hidden_sizes, in_features, lr, num_classes, optimizer");
  CHECK(error_of(minimal_plus({"--model.optimizer=rmsprop"})) ==
        "model.optimizer: \"rmsprop\" is not one of \"sgd\", \"adam\", \"adamw\"");
  CHECK(error_of(minimal_plus({"--model.hidden_sizes=[64,0]"})) ==
        "model.hidden_sizes[1]: 0 is below the minimum 1");
  CHECK(error_of(minimal_plus({"--data.batch_size=0"})) ==
        "data.batch_size: 0 is below the minimum 1");
  CHECK(error_of(minimal_plus({"--logger.csv.flush_logs_every_n_steps=often"})) ==
        "logger.csv.flush_logs_every_n_steps: expected an integer, got \"often\"");
  CHECK(error_of(minimal_plus({"--callbacks+=early_stopping"})) ==
        "callbacks[0].monitor: required option is missing; expected a string (Metric to watch)");
  CHECK(error_of(minimal_plus({"--callbacks+=model_checkpoint", "--callbacks+=early_stopping",
                               "--callbacks.monitor=x", "--callbacks.patience=-1"})) ==
        "callbacks[1].patience: -1 is below the minimum 0");
  CHECK(error_of(minimal_plus({"--trainer.max_epochs=-2"})) ==
        "trainer.max_epochs: -2 is below the minimum -1");
  CHECK(error_of(minimal_plus({"--trainer.max_epoch=3"})).rfind(
            "trainer.max_epoch: unknown key; did you mean 'max_epochs'?", 0) == 0);
  CHECK(error_of(minimal_plus({"--trainer.limit_train_batches=1.5"})).rfind(
            "trainer.limit_train_batches: 1.5 is a fraction above 1.0", 0) == 0);
  CHECK(error_of(minimal_plus({"--trainer.max_epochs=x"}), {}) ==
        "trainer.max_epochs: expected an integer or null, got \"x\"");
  CHECK(error_of(minimal_plus({"--logger=csv,csv"})) == "logger: 'csv' is selected twice");
}

TEST_CASE("seed_everything", "[config][resolve]") {
  const auto seed_of = [](const std::vector<std::string>& extra) {
    std::vector<std::string> args{"fit", "--model=mlp", "--data=fashion_mnist"};
    args.insert(args.end(), extra.begin(), extra.end());
    return resolve(args)["seed_everything"];
  };
  // Lightning's default: a random seed, recorded.
  for (const json& seed : {seed_of({}), seed_of({"--seed_everything=true"})}) {
    REQUIRE(seed.is_number_integer());
    CHECK(seed.get<std::int64_t>() >= 0);
    CHECK(seed.get<std::int64_t>() <= 4294967295LL);
  }
  CHECK(seed_of({"--seed_everything=0"}) == 0);
  CHECK(seed_of({"--seed_everything=false"}) == false);
  CHECK(seed_of({"--seed_everything=null"}) == false);
  CHECK(error_of({"fit", "--model=mlp", "--data=fashion_mnist", "--seed_everything=-1"}) ==
        "seed_everything: -1 is below the minimum 0");
  CHECK(error_of({"fit", "--model=mlp", "--data=fashion_mnist", "--seed_everything=abc"}) ==
        "seed_everything: expected an integer or a boolean or null, got \"abc\"");
}

TEST_CASE("validate_and_fill accepts shorthands and rejects unknown groups", "[config][resolve]") {
  const json short_form = json::parse(R"({"seed_everything": 1, "model": "mlp",
    "data": {"id": "fashion_mnist"}, "logger": true, "callbacks": null,
    "trainer": {"precision": "16-mixed"}})");
  const json resolved = validate_and_fill(short_form, fake_lookup(), fake_ids());
  CHECK(resolved["model"]["id"] == "mlp");
  CHECK(resolved["precision"]["id"] == "16-mixed");
  CHECK(resolved["logger"][0]["id"] == "csv");
  CHECK(resolved["callbacks"] == json::array());
  CHECK(error_of_config(json{{"modle", "mlp"}}) ==
        "unknown top-level key 'modle'; did you mean 'model'? Accepted keys: callbacks, "
        "ckpt_path, data, logger, lr_scheduler, model, optimizer, precision, seed_everything, "
        "strategy, trainer");
  CHECK(error_of_config(json{{"model", 3}}) ==
        "model: expected a plugin id or {\"id\": ..., \"config\": {...}}, got 3");
  CHECK(error_of_config(json{{"model", "mlp"}, {"data", "fashion_mnist"}, {"ckpt_path", 3}})
            .rfind("ckpt_path: expected a string or null, got 3", 0) == 0);
  CHECK(error_of_config(json::array()) == "a config must be a JSON object, got []");
}

TEST_CASE("validate_and_fill is idempotent", "[config][resolve]") {
  const json once = resolve({"fit", "--model=cnn", "--data=fashion_mnist", "--logger=false",
                             "--callbacks+=model_checkpoint"});
  CHECK(validate_and_fill(once, fake_lookup(), fake_ids()) == once);
}

TEST_CASE("to_pretty_json indents by two spaces", "[config][resolve]") {
  const json config = json::parse(R"({"a": {"b": [1, 2]}, "c": 1.0})");
  CHECK(to_pretty_json(config) ==
        "{\n  \"a\": {\n    \"b\": [\n      1,\n      2\n    ]\n  },\n  \"c\": 1.0\n}\n");
  CHECK(json::parse(to_pretty_json(config)) == config);
}

// The run folder's config.json, passed back alone with --config, gives the same config.
TEST_CASE("a saved config reproduces the run", "[config][resolve][reproduce]") {
  TempDir dir;
  const std::string base = dir.write("base.json", R"({
    "trainer": {"accelerator": "cpu", "limit_train_batches": 10, "limit_val_batches": 0.5},
    "model": {"id": "mlp", "config": {"hidden_sizes": [64, 32]}},
    "fit": {"data": {"id": "fashion_mnist", "config": {"batch_size": 32}}}})");
  const Env env{{"VOLT_TRAINER_MAX_EPOCHS", "4"}, {"VOLT_TRAINER_GRADIENT_CLIP_VAL", "0.5"}};
  const std::vector<std::vector<std::string>> command_lines{
      {"fit", "--config", base, "--model.lr=0.05", "--strategy=ddp",
       "--logger=csv,tensorboard", "--logger.tensorboard.log_graph=true",
       "--trainer.callbacks+=early_stopping", "--trainer.callbacks.monitor=val_acc",
       "--trainer.callbacks.mode=max", "--callbacks+=model_checkpoint", "--ckpt_path=last"},
      {"fit", "--config", base, "--logger=false", "--seed_everything=false"},
      {"fit", "--config", base, "--precision=16-mixed", "--trainer.max_epochs=-1"},
  };
  for (const auto& args : command_lines) {
    const json resolved = resolve(args, env);
    const std::string saved = dir.write("config.json", to_pretty_json(resolved));
    CHECK(read_file(saved) == to_pretty_json(resolved));
    const std::string saved_yaml = dir.write("config.yaml", volt::yaml::dump(resolved));
    // Reproduced without the environment, and despite a different one, from JSON and YAML.
    for (const Env& later_env : {Env{}, Env{{"VOLT_TRAINER_MAX_EPOCHS", "99"},
                                            {"VOLT_TRAINER_ACCELERATOR", "cuda"}}}) {
      for (const std::string& file : {saved, saved_yaml}) {
        const json again = resolve({"fit", "--config", file}, later_env);
        CHECK(again == resolved);
        CHECK(to_pretty_json(again) == to_pretty_json(resolved));
        CHECK(volt::yaml::dump(again) == volt::yaml::dump(resolved));
      }
    }
  }
  // Fractions survive the round trip as floats, counts as integers.
  const json resolved = resolve(command_lines[0], env);
  const std::string saved = dir.write("config.json", to_pretty_json(resolved));
  const json again = resolve({"fit", "--config", saved});
  CHECK(again["trainer"]["limit_train_batches"].is_number_integer());
  CHECK(again["trainer"]["limit_val_batches"].is_number_float());
  CHECK(again["trainer"]["limit_test_batches"].is_number_float());
  CHECK(again["trainer"]["max_epochs"] == 4);
  CHECK(again["trainer"]["gradient_clip_val"] == 0.5);
}

TEST_CASE("precedence holds through resolution", "[config][resolve][precedence]") {
  TempDir dir;
  const std::string file = dir.write("f.json", R"({"trainer": {"log_every_n_steps": 20}})");
  const Env env{{"VOLT_TRAINER_LOG_EVERY_N_STEPS", "10"}};
  CHECK(resolve(kMinimal)["trainer"]["log_every_n_steps"] == 50);
  CHECK(resolve(kMinimal, env)["trainer"]["log_every_n_steps"] == 10);
  CHECK(resolve(minimal_plus({"--config", file}), env)["trainer"]["log_every_n_steps"] == 20);
  CHECK(resolve(minimal_plus({"--config", file, "--trainer.log_every_n_steps=30"}), env)
            ["trainer"]["log_every_n_steps"] == 30);
  CHECK(resolve(minimal_plus({"--trainer.log_every_n_steps=30", "--config", file}), env)
            ["trainer"]["log_every_n_steps"] == 20);
}
