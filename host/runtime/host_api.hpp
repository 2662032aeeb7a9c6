// The host's side of volt/c/host.h: the service table handed to every plugin, the per-instance
// context, and helpers that turn plugin errors into exceptions naming the plugin.
#pragma once

#include <volt/volt.h>

#include <atomic>
#include <functional>
#include <string>

namespace volt::host {

// What a running trainer provides to plugin callbacks (self.log, trainer state...). Outside a
// run (listing plugins, tests) contexts have no services and those calls report that.
class TrainerServices {
 public:
  virtual ~TrainerServices() = default;
  virtual void log_metric(const volt_log_args& args) = 0;  // throws volt::Error
  virtual void fill_state(volt_trainer_state& out) const = 0;
  virtual bool callback_metric(const std::string& name, double& out) const = 0;
  virtual void request_stop(const std::string& reason) = 0;
  // Lightning's trainer.save_checkpoint (host->save_checkpoint). Throws volt::Error.
  virtual void save_checkpoint(const std::string& path, bool weights_only) = 0;
  virtual size_t optimizer_count() const = 0;
  virtual bool optimizer_info(size_t index, volt_optimizer_info& out) const = 0;
  // Throws volt::Error (n < 1, or outside on_train_epoch_start).
  virtual void set_accumulate_grad_batches(int64_t n) = 0;
  // Lightning's trainer.progress_bar_metrics as a JSON object.
  virtual std::string progress_bar_metrics_json() const = 0;
  // Lightning's trainer.callback_metrics as a JSON object.
  virtual std::string callback_metrics_json() const = 0;
  // Collectives across the ranks (host->reduce, broadcast, all_gather, barrier): borrowed
  // handles in, new references out. Throw volt::Error.
  virtual volt_tensor* rank_reduce(volt_tensor* t, int32_t op) = 0;
  virtual volt_tensor* rank_broadcast(volt_tensor* t, int32_t src) = 0;
  virtual volt_tensor* rank_all_gather(volt_tensor* t) = 0;
  virtual void rank_barrier(const std::string& name) = 0;
};

// The table; static, valid for the whole process.
const volt_host_api* host_api();

// Set by the signal handlers; read by host_api()->is_cancelled.
std::atomic<bool>& cancel_flag();

}  // namespace volt::host

// Per plugin instance. Defined here because the C header only declares it.
struct volt_host_context {
  std::string label;  // e.g. "module 'mlp'", used as the prefix of log lines and errors
  volt::host::TrainerServices* services = nullptr;
  std::string id;  // the plugin's id, e.g. "mlp" ("" when made outside a run)
};

namespace volt::host {

// Throws volt::Error with "<label>: <message>" when `error` is not NULL (and frees it).
void check_plugin(volt_error* error, const std::string& label, const char* what = nullptr);

// Runs `fn` for a function the host hands a plugin: NULL, or an error (made by this host)
// carrying the exception's code and message. Nothing escapes.
volt_error* error_from(const std::function<void()>& fn) noexcept;

// A plugin's error as text, freeing it ("" for NULL).
std::string take_error_message(volt_error* error);

}  // namespace volt::host
