// Lightning's logger connector: the services behind self.log (the metric collections of the
// running loop), the rows that reach the loggers, the hyper-parameters logged once, and the
// loggers' finalize at the end of a stage. Loggers exist on rank 0 only.
#pragma once

#include "trainer/metric_collector.hpp"

#include <map>
#include <string>

namespace volt::host {

class TrainerParts;

class LoggerConnector {
 public:
  explicit LoggerConnector(TrainerParts& t);

  MetricCollector& metrics() { return metrics_; }
  const MetricCollector& metrics() const { return metrics_; }
  // One self.log call, under the running hook's rules (nothing outside validation during the
  // sanity check).
  void log_metric(const volt_log_args& args);
  // A row for every logger at `step`, with the epoch added as Lightning does.
  void log_to_loggers(const ScalarRow& row, int64_t step);
  // The module's and the datamodule's hyper-parameters, once per trainer.
  void log_hyperparameters();
  // Every logger's finalize with `status`; a failure after a successful run throws.
  void finalize_loggers(const char* status);
  std::string progress_bar_metrics_json() const;
  std::string callback_metrics_json() const;

 private:
  TrainerParts& t_;
  MetricCollector metrics_;
  bool hparams_logged_ = false;
  bool finalize_failed_ = false;  // a logger's finalize failed and the error is on its way
};

}  // namespace volt::host
