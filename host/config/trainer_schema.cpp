#include "config/trainer_schema.hpp"

#include "config/config_error.hpp"

namespace volt::host::config {
namespace {

// Kept as JSON text so it reads like what a plugin descriptor carries.
constexpr const char* kTrainerSchemaText = R"json({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "accelerator": {"type": "string", "enum": ["auto", "cpu", "cuda", "gpu"], "default": "auto",
      "description": "Hardware to run on; auto picks cuda when available"},
    "devices": {"type": ["integer", "string"], "default": "auto",
      "description": "Number of devices (-1 = all), a list of indices as \"0,1\", or auto"},
    "num_nodes": {"type": "integer", "minimum": 1, "default": 1,
      "description": "Number of nodes for distributed training"},
    "num_threads": {"type": ["integer", "null"], "minimum": 1, "maximum": 65536, "default": null,
      "description": "LibTorch threads per process (Volt's option); null = OMP_NUM_THREADS, else the CPUs allowed, shared by the node's ranks"},
    "heartbeat_timeout": {"type": "number", "minimum": 0, "maximum": 86400, "default": 20,
      "description": "Seconds a worker started by Volt's launcher may stop running (SIGSTOP, frozen) before the job is stopped naming it (Volt's option); 0 = never"},
    "max_epochs": {"type": ["integer", "null"], "minimum": -1, "default": null,
      "description": "Stop after this many epochs; -1 = infinite; null with max_steps -1 means 1000"},
    "min_epochs": {"type": ["integer", "null"], "minimum": 0, "default": null,
      "description": "Train at least this many epochs"},
    "max_steps": {"type": "integer", "minimum": -1, "default": -1,
      "description": "Stop after this many optimizer steps; -1 = no limit"},
    "min_steps": {"type": ["integer", "null"], "minimum": 0, "default": null,
      "description": "Train at least this many optimizer steps"},
    "limit_train_batches": {"type": "number", "minimum": 0, "default": 1.0,
      "description": "Training batches per epoch: a float is a fraction, an integer a count"},
    "limit_val_batches": {"type": "number", "minimum": 0, "default": 1.0,
      "description": "Validation batches per run: a float is a fraction, an integer a count"},
    "limit_test_batches": {"type": "number", "minimum": 0, "default": 1.0,
      "description": "Test batches: a float is a fraction, an integer a count"},
    "limit_predict_batches": {"type": "number", "minimum": 0, "default": 1.0,
      "description": "Predict batches: a float is a fraction, an integer a count"},
    "max_time": {"type": ["string", "null"], "default": null,
      "description": "Stop after this much training time, DD:HH:MM:SS (adds a timer callback)"},
    "overfit_batches": {"type": "number", "minimum": 0, "default": 0.0,
      "description": "Train and validate on this fraction (float) or count (integer) of training batches"},
    "check_val_every_n_epoch": {"type": ["integer", "null"], "minimum": 1, "default": 1,
      "description": "Validate every N epochs; null = only by val_check_interval batches"},
    "val_check_interval": {"type": "number", "exclusiveMinimum": 0, "default": 1.0,
      "description": "Validate every fraction (float) of an epoch or every N (integer) training batches"},
    "num_sanity_val_steps": {"type": "integer", "minimum": -1, "default": 2,
      "description": "Validation batches run before training; -1 = all"},
    "log_every_n_steps": {"type": "integer", "minimum": 1, "default": 50,
      "description": "Log training-step metrics every N steps"},
    "enable_progress_bar": {"type": "boolean", "default": true,
      "description": "Show a progress bar"},
    "enable_model_summary": {"type": "boolean", "default": true,
      "description": "Print a model summary when fitting starts"},
    "enable_checkpointing": {"type": "boolean", "default": true,
      "description": "Add a default checkpoint callback when none is configured"},
    "accumulate_grad_batches": {"type": "integer", "minimum": 1, "default": 1,
      "description": "Accumulate gradients over N batches before each optimizer step"},
    "gradient_clip_val": {"type": ["number", "null"], "minimum": 0, "default": null,
      "description": "Clip gradients at this value; null or 0 disables clipping"},
    "gradient_clip_algorithm": {"type": "string", "enum": ["norm", "value"], "default": "norm",
      "description": "Clip by total norm or by value"},
    "deterministic": {"type": "boolean", "default": false,
      "description": "Use deterministic algorithms only"},
    "default_root_dir": {"type": ["string", "null"], "default": null,
      "description": "Root folder for logs and checkpoints; null = current working directory"},
    "fast_dev_run": {"type": ["boolean", "integer"], "minimum": 0, "default": false,
      "description": "Run N (true = 1) batches of each stage to find bugs; no logging or checkpoints"},
    "inference_mode": {"type": "boolean", "default": true,
      "description": "Evaluate under inference mode (false: no_grad)"},
    "benchmark": {"type": ["boolean", "null"], "default": null,
      "description": "cudnn.benchmark (null: leave LibTorch's setting; no effect on CPU)"},
    "detect_anomaly": {"type": "boolean", "default": false,
      "description": "Autograd anomaly detection during fit (slow; names the op that made a NaN)"},
    "barebones": {"type": "boolean", "default": false,
      "description": "No progress bar, model summary, checkpointing or logger (measures raw speed)"},
    "reload_dataloaders_every_n_epochs": {"type": "integer", "minimum": 0, "default": 0,
      "description": "Lightning's option; Volt asks datamodules for every epoch's batches by (epoch, index), so only 0 is accepted"},
    "use_distributed_sampler": {"type": "boolean", "default": true,
      "description": "Lightning's option; Volt datamodules always shard by rank, so only true is accepted"},
    "sync_batchnorm": {"type": "boolean", "default": false,
      "description": "Lightning's option; Volt has no SyncBatchNorm, so only false is accepted"},
    "profiler": {"type": ["string", "null"], "default": null,
      "description": "Lightning's option; Volt has no profiler yet, so only null is accepted"}
  }
})json";

void check_fraction(const nlohmann::json& trainer, const char* key) {
  const auto it = trainer.find(key);
  if (it == trainer.end() || !it->is_number_float()) return;
  const double value = it->get<double>();
  if (value < 0.0 || value > 1.0) {
    throw ConfigError(std::string("trainer.") + key, it->dump() +
                      " is a fraction above 1.0; pass a float in [0.0, 1.0] or an integer "
                      "number of batches");
  }
}

}  // namespace

const nlohmann::json& trainer_schema() {
  static const nlohmann::json schema = nlohmann::json::parse(kTrainerSchemaText);
  return schema;
}

std::vector<std::string> trainer_option_names() {
  std::vector<std::string> names;
  for (const auto& [key, unused] : trainer_schema()["properties"].items()) names.push_back(key);
  return names;
}

void check_trainer_options(const nlohmann::json& trainer, const nlohmann::json& given) {
  for (const char* key : {"limit_train_batches", "limit_val_batches", "limit_test_batches",
                          "limit_predict_batches", "overfit_batches", "val_check_interval"}) {
    check_fraction(trainer, key);
  }
  // Lightning's _DataConnector.on_trainer_init, on the value as given.
  auto every = given.find("val_check_interval");
  if (trainer["check_val_every_n_epoch"].is_null() && every != given.end() && every->is_number_float())
    throw ConfigError("trainer.val_check_interval", "`val_check_interval` should be an integer "
                      "when `check_val_every_n_epoch=None`, found " + every->dump() + ".");
  // Lightning's options that have no counterpart here: their schema defaults pass, anything
  // else says why it cannot work.
  static const std::pair<const char*, const char*> kDefaultsOnly[] = {
      {"reload_dataloaders_every_n_epochs",
       "Volt asks the datamodule for each epoch's batches by (epoch, index), so every epoch "
       "already sees the datamodule's current data; remove the option"},
      {"use_distributed_sampler",
       "Volt datamodules receive the rank and world size and always shard by rank"},
      {"sync_batchnorm", "Volt has no synchronized batch norm"},
      {"profiler", "Volt has no profiler yet"}};
  for (const auto& [key, why] : kDefaultsOnly)
    if (trainer[key] != trainer_schema()["properties"][key]["default"])
      throw ConfigError(std::string("trainer.") + key, trainer[key].dump() +
                        " is not supported: " + why);
  // Lightning's barebones: everything that costs time besides the loops is off, and asking for
  // one of those things as well is an error.
  if (trainer["barebones"].get<bool>())
    for (const char* key : kBarebonesOff)
      if (auto it = given.find(key); it != given.end() && it->is_boolean() && it->get<bool>())
        throw ConfigError("trainer.barebones", std::string("`Trainer(barebones=True)` was passed "
                                      "with `") + key + "=True` but barebones mode doesn't support it");
}

}  // namespace volt::host::config
