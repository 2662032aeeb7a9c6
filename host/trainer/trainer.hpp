// The trainer: runs fit / validate / test / predict over plugin instances, calling hooks in
// Lightning's order (docs/hooks.md). Its parts (trainer_parts.hpp) are Lightning's: a fit loop
// with its training epoch loop and automatic optimization, an evaluation loop, a prediction
// loop, and the connectors around them (docs/architecture.md). It is also the TrainerServices
// behind self.log, the trainer state and the other host functions plugins call.
#pragma once

#include "trainer/trainer_parts.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace volt::host {

class Trainer : public TrainerServices {
 public:
  // Seed first (seed_everything in trainer/seed.hpp), then create the components.
  Trainer(TrainerOptions options, TrainerComponents& components);

  // ckpt_path as Lightning's (a path, "last", "best"): fit restores the whole training state
  // from a Lightning checkpoint, or only the weights from a plain state_dict file; the other
  // stages load only the weights.
  void fit(const std::optional<std::string>& ckpt_path = std::nullopt);
  std::map<std::string, double> validate(const std::optional<std::string>& ckpt_path = std::nullopt);
  std::map<std::string, double> test(const std::optional<std::string>& ckpt_path = std::nullopt);
  // Returns the predictions of every batch, in order.
  std::vector<at::Tensor> predict(const std::optional<std::string>& ckpt_path = std::nullopt);

  // Folder of the first logger ("" without loggers).
  const std::string& log_dir() const { return t_.log_dir; }
  int32_t global_rank() const { return t_.info.global_rank; }
  int64_t global_step() const { return t_.state.global_step; }
  int64_t current_epoch() const { return t_.state.current_epoch; }
  std::map<std::string, double> callback_metrics() const {
    return t_.logging.metrics().callback_metrics();
  }
  // The checkpoint the default checkpointing wrote last ("" if none).
  const std::string& last_checkpoint() const { return t_.checkpoints.last_default_checkpoint(); }

  // TrainerServices
  void log_metric(const volt_log_args& args) override { t_.logging.log_metric(args); }
  void fill_state(volt_trainer_state& out) const override;
  bool callback_metric(const std::string& name, double& out) const override {
    return t_.logging.metrics().callback_metric(name, out);
  }
  std::string progress_bar_metrics_json() const override {
    return t_.logging.progress_bar_metrics_json();
  }
  std::string callback_metrics_json() const override { return t_.logging.callback_metrics_json(); }
  void request_stop(const std::string& reason) override { t_.request_stop(reason); }
  void save_checkpoint(const std::string& path, bool weights_only) override {
    t_.checkpoints.save_checkpoint(path, weights_only);
  }
  size_t optimizer_count() const override { return t_.optimizers.size(); }
  bool optimizer_info(size_t index, volt_optimizer_info& out) const override {
    return t_.optimizers.info(index, out);
  }
  void set_accumulate_grad_batches(int64_t n) override;
  volt_tensor* rank_reduce(volt_tensor* t, int32_t op) override;
  volt_tensor* rank_broadcast(volt_tensor* t, int32_t src) override;
  volt_tensor* rank_all_gather(volt_tensor* t) override;
  void rank_barrier(const std::string& name) override { t_.ranks.barrier(name.c_str()); }

 private:
  // Runs one stage's `body`, then the loggers' finalize with the run's status; on an error,
  // on_exception first. `fit`: a SIGINT/SIGTERM that fit finished through counts as interrupted.
  void run_stage(bool fit, const std::function<void()>& body);
  void run_fit(const std::optional<std::string>& ckpt_path);
  void run_sanity_check();
  std::map<std::string, double> evaluate_stage(int32_t stage,
                                               const std::optional<std::string>& ckpt_path);
  void setup(int32_t stage);
  void teardown(int32_t stage);

  TrainerParts t_;
};

}  // namespace volt::host
