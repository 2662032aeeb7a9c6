// `mlflow`: Lightning's MLFlowLogger against MLflow's local file store, written directly (no
// MLflow needed): <save_dir>/mlruns/<experiment_id>/<run_id>/ with meta.yaml, metrics/, params/,
// tags/ (mlflow_store.hpp), so `mlflow ui --backend-store-uri <save_dir>/mlruns` shows the run.
// The run is RUNNING while training and FINISHED, FAILED or KILLED (interrupted) at the end.
// Metric lines are buffered and appended every flush_logs_every_n_steps calls and at the end.
#include "../common/flatten_params.hpp"
#include "../common/number_format.hpp"
#include "mlflow_store.hpp"

#include <volt/sdk.hpp>

#include <unistd.h>

#include <fstream>
#include <map>

namespace volt::loggers {

namespace {

// Python's str() of a hyper-parameter value, as MLflow stores params.
std::string param_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_null()) return "None";
  if (v.is_number_float()) return format_value(v.get<double>());
  return v.dump();
}

std::string user_name() {
  const char* u = std::getenv("USER");
  return u != nullptr ? u : "unknown";
}

}  // namespace

class MlflowLogger : public Logger {
 public:
  static PluginInfo info() {
    return {"mlflow", "1.0.0", "MLflow's local file store (mlflow ui reads it), as Lightning's MLFlowLogger",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "save_dir": {"type": ["string", "null"], "default": null,
                           "description": "root folder (default: trainer.default_root_dir)"},
              "tracking_dir": {"type": "string", "default": "mlruns",
                               "description": "the file store, under save_dir"},
              "experiment_name": {"type": "string", "default": "lightning_logs"},
              "run_name": {"type": ["string", "null"], "default": null,
                           "description": "default: run-<first 8 digits of the run id>"},
              "tags": {"type": "object", "default": {}, "description": "run tags (strings)"},
              "flush_logs_every_n_steps": {"type": "integer", "minimum": 1, "default": 100,
                          "description": "append buffered metric lines every N logging calls"}}})json"};
  }

  explicit MlflowLogger(const nlohmann::json& config)
      : flush_every_(config.at("flush_logs_every_n_steps").get<int64_t>()) {
    std::string save_dir = config.at("save_dir").is_string() ? config.at("save_dir").get<std::string>() : ".";
    root_ = std::filesystem::path(save_dir) / config.at("tracking_dir").get<std::string>();
    meta_.experiment_id = mlflow::find_or_create_experiment(root_, config.at("experiment_name").get<std::string>());
    meta_.run_id = mlflow::new_run_id();
    meta_.run_name = config.at("run_name").is_string() ? config.at("run_name").get<std::string>()
                                                       : "run-" + meta_.run_id.substr(0, 8);
    meta_.user = user_name();
    meta_.start_time = mlflow::now_ms();
    run_dir_ = root_ / meta_.experiment_id / meta_.run_id;
    std::filesystem::create_directories(run_dir_ / "metrics");
    std::filesystem::create_directories(run_dir_ / "params");
    std::filesystem::create_directories(run_dir_ / "artifacts");
    mlflow::write_key_file(run_dir_ / "tags", "mlflow.runName", meta_.run_name);
    mlflow::write_key_file(run_dir_ / "tags", "mlflow.user", meta_.user);
    mlflow::write_key_file(run_dir_ / "tags", "mlflow.source.name", "volt");
    mlflow::write_key_file(run_dir_ / "tags", "mlflow.source.type", "LOCAL");
    for (auto it = config.at("tags").begin(); it != config.at("tags").end(); ++it)
      mlflow::write_key_file(run_dir_ / "tags", it.key(), param_text(it.value()));
    mlflow::write_run_meta(run_dir_, root_, meta_);
  }

  // Lightning: checkpoints go to <save_dir>/<experiment_id>/<run_id>/checkpoints.
  std::string log_dir() override { return run_dir_.string(); }

  void log_hyperparams(const nlohmann::json& params) override {
    const nlohmann::json flat = flatten_params(params);
    for (auto it = flat.begin(); it != flat.end(); ++it)  // MLflow keeps 6000 characters
      mlflow::write_key_file(run_dir_ / "params", it.key(), param_text(it.value()).substr(0, 6000));
  }

  void log_metrics(const MetricRow& metrics, int64_t step) override {
    std::string suffix = " " + std::to_string(step) + "\n";
    std::string stamp = std::to_string(mlflow::now_ms()) + " ";
    for (const auto& [name, value] : metrics) pending_[name] += stamp + format_value(value) + suffix;
    ++since_flush_;
  }

  // The host calls save() after every logging call: only every flush_logs_every_n_steps-th
  // call writes.
  void save() override {
    if (since_flush_ >= flush_every_) write_pending();
  }

  void finalize(const std::string& status) override {
    write_pending();
    meta_.status = status == "success" ? mlflow::kFinished
                   : status == "interrupted" ? mlflow::kKilled : mlflow::kFailed;
    meta_.end_time = mlflow::now_ms();
    mlflow::write_run_meta(run_dir_, root_, meta_);
  }

 private:
  void write_pending() {
    since_flush_ = 0;
    for (auto& [name, lines] : pending_) {
      if (lines.empty()) continue;
      std::filesystem::path path = run_dir_ / "metrics" / name;
      std::filesystem::create_directories(path.parent_path());
      std::ofstream out(path, std::ios::app);
      out << lines;
      out.flush();
      if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "mlflow: cannot write " + path.string());
      lines.clear();
    }
  }

  int64_t flush_every_;
  int64_t since_flush_ = 0;
  std::filesystem::path root_;
  std::filesystem::path run_dir_;
  mlflow::RunMeta meta_;
  std::map<std::string, std::string> pending_;  // metric name -> lines not yet written
};

}  // namespace volt::loggers

VOLT_PLUGINS(volt::loggers::MlflowLogger)
