// Lightning's self.log semantics: default on_step/on_epoch by hook, batch-size weighted epoch
// means, reduce_fx mean/max/min/sum, `name_step`/`name_epoch` when both, callback metrics.
//
// Values stay tensors until a logger, the progress bar or a callback needs a number, so logging
// costs no device synchronisation on the training path.
#pragma once

#include <volt/volt.h>

#include <ATen/ATen.h>

#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace volt::host {

// Where metrics are being logged: one collection per loop, as Lightning's _ResultCollection.
enum class MetricScope { Train = 0, Validation = 1, Test = 2 };

using ScalarRow = std::vector<std::pair<std::string, double>>;

class MetricCollector {
 public:
  // Reduces a value across ranks (the strategy's all-reduce); identity on one process.
  using SyncFn = std::function<at::Tensor(const at::Tensor&, int32_t op)>;

  explicit MetricCollector(SyncFn sync = nullptr) : sync_(std::move(sync)) {}
  // Entries point into callback_metrics_.
  MetricCollector(const MetricCollector&) = delete;
  MetricCollector& operator=(const MetricCollector&) = delete;

  // Records one self.log call made from `hook` (VOLT_HOOK_*). Throws volt::Error when the
  // hook may not log or options contradict the hook's rules. `batch_size` is used when
  // args.batch_size <= 0.
  void log(MetricScope scope, int32_t hook, const volt_log_args& args, int64_t batch_size);

  // Step values logged since the last call, named for loggers (`name` or `name_step`); clears
  // the pending set.
  ScalarRow take_step_metrics(MetricScope scope);
  // Lightning's epoch_end_reached: the epoch values of `scope` become the callback metrics,
  // and values logged from now until finish_epoch update them at once (so a monitoring
  // callback sees what on_*_epoch_end logged). A collective when values sync across ranks.
  void epoch_end_reached(MetricScope scope);
  // Ends an epoch of `scope`: computes the epoch values not computed yet, makes them callback
  // metrics, returns them named for loggers (`name` or `name_epoch`), and resets the scope.
  ScalarRow finish_epoch(MetricScope scope);
  // Forgets a scope's accumulated values without reporting them (sanity check).
  void reset(MetricScope scope);

  // Latest callback metric (trainer.callback_metrics[name]).
  bool callback_metric(const std::string& name, double& out) const;
  std::map<std::string, double> callback_metrics() const;
  // Metrics marked prog_bar, latest values, for the progress bar.
  std::vector<std::pair<std::string, double>> progress_bar_metrics() const;

 private:
  struct Entry {
    bool on_step = false;
    bool on_epoch = false;
    bool logger = true;
    bool prog_bar = false;
    bool sync_dist = false;
    int32_t reduce = VOLT_REDUCE_MEAN;
    at::Tensor step_value;  // latest on_step value
    bool step_pending = false;
    // In the logged value's dtype (float32 for numbers), as Lightning's _ResultMetric.
    at::Tensor accumulated;  // mean: sum of value*batch_size; others: running reduction
    double weight = 0;       // mean: sum of batch sizes
    at::Tensor epoch_value;  // computed by epoch_end_reached / finish_epoch
    bool epoch_dirty = false;  // accumulated changed since epoch_value was computed
    // Found once, so that a step's self.log looks its name up only in `entries`:
    at::Tensor* callback_slot = nullptr;  // callback_metrics_[name] (map nodes stay put)
    bool prog_bar_listed = false;         // in prog_bar_names_
  };
  struct Scope {
    std::unordered_map<std::string, Entry> entries;
    std::vector<std::string> order;  // first-logged order, for stable output
    bool epoch_end = false;          // between epoch_end_reached and finish_epoch
  };

  at::Tensor synced(const at::Tensor& v, bool sync, int32_t op) const;
  // The entry's epoch value, made a callback metric.
  void compute_epoch_value(const std::string& name, Entry& e);

  SyncFn sync_;
  Scope scopes_[3];
  std::map<std::string, at::Tensor> callback_metrics_;  // never erased from
  std::map<std::string, bool> prog_bar_names_;
};

// Lightning's default (on_step, on_epoch) for a hook; false when logging is forbidden there.
bool log_defaults_for_hook(int32_t hook, bool& on_step, bool& on_epoch, bool& epoch_only);
const char* hook_name(int32_t hook);

}  // namespace volt::host
