// `csv`: Lightning's CSVLogger. Writes <save_dir>/<name>/version_N/metrics.csv (one row per
// log call, columns = the sorted union of all keys including `step`, empty cells where a row
// has no value) and hparams.yaml beside it.
#include "../common/hparams_yaml.hpp"
#include "../common/number_format.hpp"
#include "../common/run_folder.hpp"

#include <volt/sdk.hpp>

#include <fstream>
#include <map>
#include <set>

namespace volt::loggers {

class CsvLogger : public Logger {
 public:
  static PluginInfo info() {
    return {"csv", "1.0.0", "CSV files in Lightning's CSVLogger layout",
            R"json({"type": "object", "additionalProperties": false, "properties": {)json"
            VOLT_RUN_FOLDER_SCHEMA_PROPERTIES R"json(,
              "flush_logs_every_n_steps": {"type": "integer", "minimum": 1, "default": 100,
                          "description": "write buffered rows to disk every N logged steps"}}})json"};
  }

  explicit CsvLogger(const nlohmann::json& config)
      : flush_every_(config.at("flush_logs_every_n_steps").get<int64_t>()) {
    dir_ = run_folder(config);
    std::filesystem::create_directories(dir_);
  }

  std::string log_dir() override { return dir_.string(); }

  void log_hyperparams(const nlohmann::json& params) override {
    write_hparams_yaml(dir_, params);
  }

  void log_metrics(const MetricRow& metrics, int64_t step) override {
    std::map<std::string, double> row(metrics.begin(), metrics.end());
    row["step"] = static_cast<double>(step);
    for (const auto& kv : row)
      if (keys_.insert(kv.first).second) header_changed_ = true;
    rows_.push_back(std::move(row));
    ++since_flush_;
  }

  // The host calls save() after every logging call (as Lightning's trainer does); writing
  // then would cost the training thread a file write per call, so rows are written every
  // flush_logs_every_n_steps calls and at the end.
  void save() override {
    if (since_flush_ >= flush_every_) write_rows();
  }

  void finalize(const std::string& /*status*/) override { write_rows(); }

 private:
  void write_rows() {
    since_flush_ = 0;
    auto path = dir_ / "metrics.csv";
    // New columns mean a new header: rewrite the whole file (Lightning does the same).
    bool rewrite = header_changed_ || written_ == 0;
    std::ofstream out(path, rewrite ? std::ios::trunc : std::ios::app);
    if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "cannot write " + path.string());
    if (rewrite) {
      bool first = true;
      for (const auto& k : keys_) { out << (first ? "" : ",") << k; first = false; }
      out << "\n";
      written_ = 0;
    }
    for (size_t i = written_; i < rows_.size(); ++i) {
      bool first = true;
      for (const auto& k : keys_) {
        auto it = rows_[i].find(k);
        out << (first ? "" : ",") << (it != rows_[i].end() ? format_value(it->second) : "");
        first = false;
      }
      out << "\n";
    }
    written_ = rows_.size();
    header_changed_ = false;
    out.flush();
    if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "cannot write " + path.string());
  }

  std::filesystem::path dir_;
  int64_t flush_every_;
  int64_t since_flush_ = 0;
  std::set<std::string> keys_;
  std::vector<std::map<std::string, double>> rows_;
  size_t written_ = 0;
  bool header_changed_ = false;
};

}  // namespace volt::loggers

VOLT_PLUGINS(volt::loggers::CsvLogger)
