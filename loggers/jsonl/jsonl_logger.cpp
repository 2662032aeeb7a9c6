// `jsonl`: one JSON object per logging call, for scripts:
//   {"step": 49, "epoch": 0, "wall_time": 1764633600.123, "metrics": {"train_loss": 0.51}}
// in <save_dir>/<name>/version_N/metrics.jsonl (Lightning's run-folder rule), with
// hparams.yaml beside it. Lines are buffered and appended every flush_logs_every_n_steps calls
// and at the end, so the training thread mostly only formats a line.
#include "../common/hparams_yaml.hpp"
#include "../common/number_format.hpp"
#include "../common/run_folder.hpp"

#include <volt/sdk.hpp>

#include <chrono>
#include <fstream>

namespace volt::loggers {

class JsonLinesLogger : public Logger {
 public:
  static PluginInfo info() {
    return {"jsonl", "1.0.0", "JSON lines: one object per logging call (step, epoch, wall time, metrics)",
            R"json({"type": "object", "additionalProperties": false, "properties": {)json"
            VOLT_RUN_FOLDER_SCHEMA_PROPERTIES R"json(,
              "flush_logs_every_n_steps": {"type": "integer", "minimum": 1, "default": 100,
                          "description": "append buffered lines to the file every N calls"}}})json"};
  }

  explicit JsonLinesLogger(const nlohmann::json& config)
      : flush_every_(config.at("flush_logs_every_n_steps").get<int64_t>()) {
    dir_ = run_folder(config);
    std::filesystem::create_directories(dir_);
  }

  std::string log_dir() override { return dir_.string(); }

  void log_hyperparams(const nlohmann::json& params) override {
    write_hparams_yaml(dir_, params);
  }

  void log_metrics(const MetricRow& metrics, int64_t step) override {
    double wall = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string line = "{\"step\": " + std::to_string(step);
    std::string values;
    for (const auto& [name, value] : metrics) {
      if (name == "epoch") {
        line += ", \"epoch\": " + format_value(value);
        continue;
      }
      values += (values.empty() ? "" : ", ") + nlohmann::json(name).dump() + ": " + json_number(value);
    }
    line += ", \"wall_time\": " + format_value(wall) + ", \"metrics\": {" + values + "}}\n";
    pending_ += line;
    ++since_flush_;
  }

  // The host calls save() after every logging call: only every flush_logs_every_n_steps-th
  // call writes, so the training thread rarely touches the file.
  void save() override {
    if (since_flush_ >= flush_every_) write_pending();
  }

  void finalize(const std::string& /*status*/) override { write_pending(); }

 private:
  void write_pending() {
    since_flush_ = 0;
    if (pending_.empty()) return;
    std::ofstream out(dir_ / "metrics.jsonl", std::ios::app);
    out << pending_;
    out.flush();
    if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "cannot write " + (dir_ / "metrics.jsonl").string());
    pending_.clear();
  }

  // JSON has no nan/inf: they become null (Python's json module would write NaN, which strict
  // readers refuse).
  static std::string json_number(double v) { return std::isfinite(v) ? format_value(v) : "null"; }

  std::filesystem::path dir_;
  int64_t flush_every_;
  int64_t since_flush_ = 0;
  std::string pending_;
};

}  // namespace volt::loggers

VOLT_PLUGINS(volt::loggers::JsonLinesLogger)
