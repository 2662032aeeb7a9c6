#include "trainer/connectors/logger_connector.hpp"

#include "runtime/log.hpp"
#include "trainer/trainer_parts.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace volt::host {

namespace {

template <class Metrics>
std::string json_object_of(const Metrics& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : metrics) out[name] = value;
  return out.dump();
}

}  // namespace

LoggerConnector::LoggerConnector(TrainerParts& t)
    : t_(t), metrics_([&t](const at::Tensor& v, int32_t op) { return t.ranks.reduce(v, op); }) {}

void LoggerConnector::log_metric(const volt_log_args& args) {
  const RunState& s = t_.state;
  if (s.sanity_checking && s.scope != MetricScope::Validation) return;
  metrics_.log(s.scope, s.hook, args, s.current_batch_size);
}

std::string LoggerConnector::progress_bar_metrics_json() const {
  return json_object_of(metrics_.progress_bar_metrics());
}

std::string LoggerConnector::callback_metrics_json() const {
  return json_object_of(metrics_.callback_metrics());
}

void LoggerConnector::log_to_loggers(const ScalarRow& row, int64_t step) {
  if (row.empty() || t_.c.loggers.empty() || t_.info.global_rank != 0) return;
  // Lightning adds the epoch to every logged row.
  std::vector<volt_metric> metrics;
  metrics.reserve(row.size() + 1);
  bool has_epoch = false;
  for (const auto& [name, value] : row) {
    metrics.push_back({name.c_str(), value});
    has_epoch = has_epoch || name == "epoch";
  }
  if (!has_epoch) metrics.push_back({"epoch", static_cast<double>(t_.state.current_epoch)});
  for (auto& logger : t_.c.loggers) {
    logger.check(logger->log_metrics(logger.get(), metrics.data(), metrics.size(), step),
                 "log_metrics");
    logger.check(logger->save(logger.get()), "save");
  }
}

void LoggerConnector::log_hyperparameters() {
  TrainerComponents& c = t_.c;
  if (hparams_logged_ || c.loggers.empty() || t_.info.global_rank != 0) return;
  hparams_logged_ = true;
  nlohmann::json hp = nlohmann::json::parse(c.module->hparams_json(c.module.get()));
  auto data_hp = c.data->hparams_json;
  if (data_hp != nullptr) {
    // Lightning merges the datamodule's hyper-parameters into the logged ones, and refuses
    // keys present in both with different values.
    nlohmann::json d = nlohmann::json::parse(data_hp(c.data.get()));
    std::vector<std::string> clashes;
    for (auto it = d.begin(); it != d.end(); ++it) {
      if (!hp.contains(it.key())) hp[it.key()] = it.value();
      else if (hp[it.key()] != it.value()) clashes.push_back(it.key());
    }
    if (!clashes.empty()) {
      std::string keys;
      for (const auto& k : clashes) keys += (keys.empty() ? "'" : ", '") + k + "'";
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "Error while merging hparams: the keys " + keys +
                      " are present in both the LightningModule's and the DataModule's "
                      "hparams but have different values");
    }
  }
  std::string text = hp.dump();
  for (auto& logger : c.loggers)
    logger.check(logger->log_hyperparams(logger.get(), text.c_str()), "log_hyperparams");
}

void LoggerConnector::finalize_loggers(const char* status) {
  if (t_.info.global_rank != 0) return;
  // The error thrown below reaches the stage's handler, which finalizes again: once is enough.
  if (finalize_failed_) {
    finalize_failed_ = false;
    return;
  }
  std::string failures;
  for (auto& logger : t_.c.loggers) {
    volt_error* err = logger->finalize(logger.get(), status);
    if (err != nullptr)
      failures += (failures.empty() ? "" : "; ") + logger.label() + ": finalize: " +
                  take_error_message(err);
  }
  if (failures.empty()) return;
  // Logs lost at the end of a run that otherwise succeeded fail the run.
  if (std::string(status) == "success") {
    finalize_failed_ = true;
    throw Error(VOLT_ERROR_DATA_LOSS, failures + " (the run's logs are incomplete)");
  }
  log::error(failures);
}

}  // namespace volt::host
