// The trainer section of a resolved config, with Lightning's Trainer argument names.
#pragma once

#include "distributed/cluster_environment.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace volt::host {

// limit_*_batches and val_check_interval: a fraction (float) or a count (integer).
struct BatchLimit {
  bool is_fraction = true;
  double fraction = 1.0;
  int64_t count = 0;
  // Number of batches to run out of `available`.
  int64_t apply(int64_t available) const;
  static BatchLimit from_json(const nlohmann::json& v, const char* key);
};

struct TrainerOptions {
  std::string accelerator = "auto";
  std::string devices = "auto";
  int64_t max_epochs = -1;  // resolved: 1000 when neither max_epochs nor max_steps is set
  int64_t min_epochs = 0;
  int64_t max_steps = -1;
  int64_t min_steps = 0;
  BatchLimit limit_train_batches, limit_val_batches, limit_test_batches, limit_predict_batches;
  std::optional<int64_t> check_val_every_n_epoch = 1;
  BatchLimit val_check_interval;
  int64_t num_sanity_val_steps = 2;  // -1: all
  int64_t log_every_n_steps = 50;
  bool enable_progress_bar = true;
  bool enable_model_summary = true;
  bool enable_checkpointing = true;
  int64_t accumulate_grad_batches = 1;
  std::optional<double> gradient_clip_val;
  std::string gradient_clip_algorithm = "norm";
  bool deterministic = false;
  bool inference_mode = true;
  bool detect_anomaly = false;
  std::optional<bool> benchmark;  // cudnn.benchmark; nullopt: leave it
  std::string default_root_dir;  // "" = current directory
  int64_t fast_dev_run = 0;      // 0 = off, n = run n batches of each loop
  bool overfit = false;          // overfit_batches > 0: train on the epoch-0 batches every epoch
  std::string max_time;          // "DD:HH:MM:SS" or "" (run_command adds a timer callback)
  int64_t num_nodes = 1;

  // Where this process sits, as the host detected it (run_command); handed to the strategy.
  ClusterEnvironment cluster;
  int64_t local_world_size = 1;   // processes per node
  std::string accelerator_kind = "cpu";  // "cpu" or "cuda", resolved from `accelerator`

  static TrainerOptions from_json(const nlohmann::json& trainer);
};

}  // namespace volt::host
