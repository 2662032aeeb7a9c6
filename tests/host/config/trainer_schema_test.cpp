#include "config/config_error.hpp"
#include "config/json_schema.hpp"
#include "config/trainer_schema.hpp"

#include <catch2/catch.hpp>

using nlohmann::json;
using volt::host::config::apply_schema;
using volt::host::config::check_trainer_options;
using volt::host::config::ConfigError;
using volt::host::config::trainer_schema;

namespace {

json fill(const json& trainer) {
  json out = apply_schema(trainer_schema(), trainer, "trainer");
  check_trainer_options(out);
  return out;
}

std::string error_of(const json& trainer) {
  try {
    fill(trainer);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the trainer schema fills Lightning's defaults", "[config][trainer]") {
  const json expected = json::parse(R"({
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
    "sync_batchnorm": false, "profiler": null})");
  const json filled = fill(json::object());
  CHECK(filled == expected);
  // Fractions stay floats: 1.0 is "all batches", 1 would be "one batch".
  CHECK(filled["limit_train_batches"].is_number_float());
  CHECK(filled["val_check_interval"].is_number_float());
  CHECK(filled["overfit_batches"].is_number_float());
}

TEST_CASE("every trainer option has a type, a default and a description", "[config][trainer]") {
  CHECK(trainer_schema()["additionalProperties"] == false);
  for (const auto& [key, property] : trainer_schema()["properties"].items()) {
    INFO(key);
    CHECK(property.contains("type"));
    CHECK(property.contains("default"));
    CHECK(property["description"].is_string());
  }
  CHECK(volt::host::config::trainer_option_names().size() ==
        trainer_schema()["properties"].size());
}

TEST_CASE("trainer values are checked", "[config][trainer]") {
  CHECK(fill(json{{"max_epochs", -1}})["max_epochs"] == -1);
  CHECK(error_of(json{{"max_epochs", -2}}) == "trainer.max_epochs: -2 is below the minimum -1");
  CHECK(error_of(json{{"max_epochs", 2.5}}) == "trainer.max_epochs: expected an integer or null, got 2.5");
  CHECK(error_of(json{{"accelerator", "tpu"}}) ==
        "trainer.accelerator: \"tpu\" is not one of \"auto\", \"cpu\", \"cuda\", \"gpu\"; "
        "did you mean \"cpu\"?");
  CHECK(fill(json{{"devices", 2}})["devices"] == 2);
  CHECK(fill(json{{"devices", "0,1"}})["devices"] == "0,1");
  CHECK(error_of(json{{"devices", true}}) ==
        "trainer.devices: expected an integer or a string, got true");
  CHECK(fill(json{{"fast_dev_run", true}})["fast_dev_run"] == true);
  CHECK(fill(json{{"fast_dev_run", 5}})["fast_dev_run"] == 5);
  CHECK(error_of(json{{"fast_dev_run", -1}}) == "trainer.fast_dev_run: -1 is below the minimum 0");
  CHECK(fill(json{{"check_val_every_n_epoch", nullptr}})["check_val_every_n_epoch"].is_null());
  CHECK(error_of(json{{"gradient_clip_algorithm", "l2"}}) ==
        "trainer.gradient_clip_algorithm: \"l2\" is not one of \"norm\", \"value\"");
  CHECK(error_of(json{{"val_check_interval", 0}}) ==
        "trainer.val_check_interval: 0 must be greater than 0");
  CHECK(error_of(json{{"max_epoch", 3}}).rfind(
            "trainer.max_epoch: unknown key; did you mean 'max_epochs'? Accepted keys: "
            "accelerator, accumulate_grad_batches,", 0) == 0);
}

TEST_CASE("limit_*_batches: a float is a fraction, an integer a count", "[config][trainer]") {
  CHECK(fill(json{{"limit_train_batches", 10}})["limit_train_batches"].is_number_integer());
  CHECK(fill(json{{"limit_val_batches", 0.25}})["limit_val_batches"] == 0.25);
  CHECK(fill(json{{"limit_test_batches", 0}})["limit_test_batches"] == 0);
  CHECK(error_of(json{{"limit_train_batches", 1.5}}) ==
        "trainer.limit_train_batches: 1.5 is a fraction above 1.0; pass a float in [0.0, 1.0] "
        "or an integer number of batches");
  CHECK(error_of(json{{"overfit_batches", 2.5}}).rfind("trainer.overfit_batches: 2.5", 0) == 0);
  CHECK(error_of(json{{"limit_predict_batches", -1}}) ==
        "trainer.limit_predict_batches: -1 is below the minimum 0");
  CHECK(error_of(json{{"limit_train_batches", "all"}}) ==
        "trainer.limit_train_batches: expected a number, got \"all\"");
}

TEST_CASE("trainer help lists every option", "[config][trainer]") {
  const std::string help = volt::host::config::describe_schema(trainer_schema(), "trainer");
  for (const auto& name : volt::host::config::trainer_option_names()) {
    INFO(name);
    CHECK(help.find("--trainer." + name + " ") != std::string::npos);
  }
  CHECK(help.find("[allowed: auto|cpu|cuda|gpu]") != std::string::npos);
}
