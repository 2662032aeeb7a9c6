// volt::Logger: receives metric rows and hyper-parameters (Lightning's Logger).
#pragma once

#include <volt/sdk/types.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace volt {

using MetricRow = std::vector<std::pair<std::string, double>>;

class Logger : public PluginBase {
 public:
  // Folder the logger writes to (e.g. <root>/lightning_logs/version_N), or "" for none.
  virtual std::string log_dir() { return ""; }
  virtual void log_hyperparams(const nlohmann::json& /*params*/) {}
  virtual void log_metrics(const MetricRow& metrics, int64_t step) = 0;
  virtual void save() {}
  // status: "success", "failed" or "interrupted".
  virtual void finalize(const std::string& /*status*/) {}
};

}  // namespace volt
