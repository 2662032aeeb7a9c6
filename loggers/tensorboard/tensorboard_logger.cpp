// `tensorboard`: Lightning's TensorBoardLogger, writing TensorBoard's files itself:
// <save_dir>/<name>/version_N/ with an event file (event_file.hpp), scalars as Summary values
// with wall time and step, hyper-parameters through TensorBoard's hparams plugin (the
// experiment, session start and session end summaries that PyTorch's
// torch.utils.tensorboard.summary.hparams() writes, so the HParams tab shows them), and
// hparams.yaml beside them. With default_hp_metric, hp_metric = -1 is logged with the
// hyper-parameters, as in Lightning.
#include "../common/flatten_params.hpp"
#include "../common/hparams_yaml.hpp"
#include "../common/run_folder.hpp"
#include "event_file.hpp"
#include "protobuf_writer.hpp"

#include <volt/sdk.hpp>

#include <fstream>
#include <memory>

namespace volt::loggers {

namespace tb = tensorboard;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Summary{value{tag, metadata{plugin_data{"hparams", HParamsPluginData{version 0, <field>}}}}}
std::string hparams_summary(const std::string& tag, uint32_t field, const tb::ProtoWriter& data) {
  tb::ProtoWriter plugin_data;
  plugin_data.varint(1, 0).message(field, data);  // version, then the oneof
  tb::ProtoWriter metadata;
  metadata.message(1, tb::ProtoWriter().bytes(1, "hparams").bytes(2, plugin_data.str()));
  tb::ProtoWriter value;
  value.bytes(1, tag).message(9, metadata);
  return tb::ProtoWriter().message(1, value).str();
}

std::string event(double wall_time, int64_t step, const std::string& summary) {
  return tb::ProtoWriter().double_(1, wall_time).varint(2, static_cast<uint64_t>(step)).bytes(5, summary).str();
}

}  // namespace

class TensorBoardLogger : public Logger {
 public:
  static PluginInfo info() {
    return {"tensorboard", "1.0.0", "TensorBoard event files in Lightning's TensorBoardLogger layout",
            R"json({"type": "object", "additionalProperties": false, "properties": {)json"
            VOLT_RUN_FOLDER_SCHEMA_PROPERTIES R"json(,
              "default_hp_metric": {"type": "boolean", "default": true,
                                    "description": "log hp_metric = -1 with the hyper-parameters"},
              "flush_secs": {"type": "number", "exclusiveMinimum": 0, "default": 120,
                             "description": "seconds between writes of queued events"}}})json"};
  }

  explicit TensorBoardLogger(const nlohmann::json& config)
      : default_hp_metric_(config.at("default_hp_metric").get<bool>()) {
    dir_ = run_folder(config);
    file_ = std::make_unique<tb::EventFile>(
        dir_, std::chrono::milliseconds(static_cast<int64_t>(config.at("flush_secs").get<double>() * 1000)));
  }

  std::string log_dir() override { return dir_.string(); }

  void log_hyperparams(const nlohmann::json& params) override {
    write_hparams_yaml(dir_, params);
    const nlohmann::json flat = flatten_params(params);
    tb::ProtoWriter experiment, start;
    for (auto it = flat.begin(); it != flat.end(); ++it) {
      const nlohmann::json& v = it.value();
      tb::ProtoWriter value;  // google.protobuf.Value
      int type = 1;           // DATA_TYPE_STRING
      if (v.is_boolean()) {
        value.varint(4, v.get<bool>() ? 1 : 0);
        type = 2;
      } else if (v.is_number()) {
        value.double_(2, v.get<double>());
        type = 3;  // DATA_TYPE_FLOAT64
      } else {
        value.bytes(3, v.is_string() ? v.get<std::string>() : v.dump());
      }
      experiment.message(4, tb::ProtoWriter().bytes(1, it.key()).varint(4, static_cast<uint64_t>(type)));
      start.message(1, tb::ProtoWriter().bytes(1, it.key()).message(2, value));  // map entry
    }
    if (default_hp_metric_)
      experiment.message(5, tb::ProtoWriter().message(1, tb::ProtoWriter().bytes(2, "hp_metric")));
    start.double_(5, now_seconds());
    double t = now_seconds();
    file_->append(event(t, 0, hparams_summary("_hparams_/experiment", 2, experiment)));
    file_->append(event(t, 0, hparams_summary("_hparams_/session_start_info", 3, start)));
    file_->append(event(t, 0, hparams_summary(
                                  "_hparams_/session_end_info", 4,
                                  tb::ProtoWriter().varint(1, 1).double_(2, t))));  // STATUS_SUCCESS
    if (default_hp_metric_) log_metrics({{"hp_metric", -1.0}}, 0);
  }

  void log_metrics(const MetricRow& metrics, int64_t step) override {
    tb::ProtoWriter summary;
    for (const auto& [name, value] : metrics)
      summary.message(1, tb::ProtoWriter().bytes(1, name).float_(2, static_cast<float>(value)));
    file_->append(event(now_seconds(), step, summary.str()));
  }

  // The host calls save() after every logging call; the event file's writer thread writes
  // every flush_secs instead, and finalize writes the rest.
  void save() override {}
  void finalize(const std::string& /*status*/) override { file_->flush(); }

 private:
  std::filesystem::path dir_;
  bool default_hp_metric_;
  std::unique_ptr<tb::EventFile> file_;
};

}  // namespace volt::loggers

VOLT_PLUGINS(volt::loggers::TensorBoardLogger)
