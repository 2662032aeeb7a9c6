#include "trainer/trainer_options.hpp"

#include <volt/sdk/core.hpp>

#include <cmath>
#include <filesystem>

namespace volt::host {

int64_t BatchLimit::apply(int64_t available) const {
  if (!is_fraction) return std::min(count, available);
  return static_cast<int64_t>(std::floor(static_cast<double>(available) * fraction));
}

BatchLimit BatchLimit::from_json(const nlohmann::json& v, const char* key) {
  BatchLimit l;
  if (v.is_null()) return l;
  if (v.is_number_integer() || v.is_number_unsigned()) {
    l.is_fraction = false;
    l.count = v.get<int64_t>();
    if (l.count < 0) throw Error(std::string("trainer.") + key + " must not be negative");
  } else if (v.is_number_float()) {
    l.fraction = v.get<double>();
    if (l.fraction < 0.0 || l.fraction > 1.0)
      throw Error(std::string("trainer.") + key + ": a fraction must be within [0, 1], got " +
                  v.dump() + " (use an integer for a number of batches)");
  } else {
    throw Error(std::string("trainer.") + key + ": expected a number, got " + v.dump());
  }
  return l;
}

namespace {

template <class T>
T value_or(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

}  // namespace

TrainerOptions TrainerOptions::from_json(const nlohmann::json& t) {
  TrainerOptions o;
  o.accelerator = value_or<std::string>(t, "accelerator", o.accelerator);
  if (auto it = t.find("num_nodes"); it != t.end() && it->is_number_integer())
    o.num_nodes = it->get<int64_t>();
  if (auto it = t.find("devices"); it != t.end() && !it->is_null())
    o.devices = it->is_string() ? it->get<std::string>() : it->dump();
  o.max_epochs = value_or<int64_t>(t, "max_epochs", -2);
  o.max_steps = value_or<int64_t>(t, "max_steps", -1);
  if (o.max_epochs == -2) o.max_epochs = o.max_steps == -1 ? 1000 : -1;  // Lightning's rule
  o.min_epochs = value_or<int64_t>(t, "min_epochs", 0);
  o.min_steps = value_or<int64_t>(t, "min_steps", 0);
  auto limit = [&](const char* key) {
    auto it = t.find(key);
    return it == t.end() ? BatchLimit{} : BatchLimit::from_json(*it, key);
  };
  o.limit_train_batches = limit("limit_train_batches");
  o.limit_val_batches = limit("limit_val_batches");
  o.limit_test_batches = limit("limit_test_batches");
  o.limit_predict_batches = limit("limit_predict_batches");
  o.val_check_interval = limit("val_check_interval");
  if (auto it = t.find("check_val_every_n_epoch"); it != t.end())
    o.check_val_every_n_epoch =
        it->is_null() ? std::nullopt : std::optional<int64_t>(it->get<int64_t>());
  o.num_sanity_val_steps = value_or<int64_t>(t, "num_sanity_val_steps", 2);
  o.log_every_n_steps = value_or<int64_t>(t, "log_every_n_steps", 50);
  o.enable_progress_bar = value_or<bool>(t, "enable_progress_bar", true);
  o.enable_model_summary = value_or<bool>(t, "enable_model_summary", true);
  o.enable_checkpointing = value_or<bool>(t, "enable_checkpointing", true);
  o.accumulate_grad_batches = value_or<int64_t>(t, "accumulate_grad_batches", 1);
  if (o.accumulate_grad_batches < 1)
    throw Error("trainer.accumulate_grad_batches must be at least 1");
  if (auto it = t.find("gradient_clip_val"); it != t.end() && !it->is_null() &&
                                             it->get<double>() > 0)
    o.gradient_clip_val = it->get<double>();
  o.gradient_clip_algorithm = value_or<std::string>(t, "gradient_clip_algorithm", "norm");
  if (o.gradient_clip_algorithm != "norm" && o.gradient_clip_algorithm != "value")
    throw Error("trainer.gradient_clip_algorithm must be 'norm' or 'value', got '" +
                o.gradient_clip_algorithm + "'");
  o.deterministic = value_or<bool>(t, "deterministic", false);
  o.inference_mode = value_or<bool>(t, "inference_mode", true);
  o.detect_anomaly = value_or<bool>(t, "detect_anomaly", false);
  if (auto it = t.find("benchmark"); it != t.end() && it->is_boolean()) o.benchmark = it->get<bool>();
  o.default_root_dir = value_or<std::string>(t, "default_root_dir", "");
  if (auto it = t.find("fast_dev_run"); it != t.end() && !it->is_null())
    o.fast_dev_run = it->is_boolean() ? (it->get<bool>() ? 1 : 0) : it->get<int64_t>();
  // Lightning's overfit_batches: the same few training batches every epoch (no reshuffling),
  // and as many validation batches.
  if (auto it = t.find("overfit_batches"); it != t.end() && it->is_number() && it->get<double>() > 0) {
    o.overfit = true;
    o.limit_train_batches = BatchLimit::from_json(*it, "overfit_batches");
    o.limit_val_batches = o.limit_train_batches;
  }
  if (auto it = t.find("max_time"); it != t.end() && !it->is_null())
    o.max_time = it->get<std::string>();
  if (o.fast_dev_run > 0) {
    // Lightning: n batches of every loop, one epoch, no sanity check, no logging.
    for (BatchLimit* l : {&o.limit_train_batches, &o.limit_val_batches, &o.limit_test_batches,
                          &o.limit_predict_batches}) {
      l->is_fraction = false;
      l->count = o.fast_dev_run;
    }
    o.max_epochs = 1;
    o.max_steps = o.fast_dev_run;
    o.num_sanity_val_steps = 0;
    o.val_check_interval = BatchLimit{};
    o.check_val_every_n_epoch = 1;
  }
  return o;
}

}  // namespace volt::host
