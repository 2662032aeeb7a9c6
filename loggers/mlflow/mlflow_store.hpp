// MLflow's local file store (what `mlflow ui --backend-store-uri <dir>` reads):
//   <root>/<experiment_id>/meta.yaml             experiment: name, id, artifact_location, ...
//   <root>/<experiment_id>/<run_id>/meta.yaml    run: ids, name, status, start/end time, ...
//   <root>/<experiment_id>/<run_id>/metrics/<key>   lines "<timestamp ms> <value> <step>"
//   <root>/<experiment_id>/<run_id>/params/<key>    the value, as text
//   <root>/<experiment_id>/<run_id>/tags/<key>      the value, as text
//   <root>/<experiment_id>/<run_id>/artifacts/
// Run status codes are MLflow's RunStatus: RUNNING 1, FINISHED 3, FAILED 4, KILLED 5.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace volt::loggers::mlflow {

enum RunStatus { kRunning = 1, kFinished = 3, kFailed = 4, kKilled = 5 };

int64_t now_ms();

// The id of the experiment called `name` in the store, creating it (and the store's "Default"
// experiment 0) when missing. New ids are one more than the largest numeric id.
std::string find_or_create_experiment(const std::filesystem::path& root, const std::string& name);

struct RunMeta {
  std::string experiment_id;
  std::string run_id;
  std::string run_name;
  std::string user;
  int64_t start_time = 0;
  int64_t end_time = -1;  // -1: still running (written as null)
  int status = kRunning;
};

// Writes <run dir>/meta.yaml (atomically: a temporary file renamed over it).
void write_run_meta(const std::filesystem::path& run_dir, const std::filesystem::path& root,
                    const RunMeta& meta);

// Writes <dir>/<key> with `text` (keys may contain '/', which become folders, as in MLflow).
void write_key_file(const std::filesystem::path& dir, const std::string& key, const std::string& text);

// A 32-hex-digit run id (uuid4().hex, as MLflow makes them).
std::string new_run_id();

}  // namespace volt::loggers::mlflow
