#include "trainer/metric_collector.hpp"

#include <volt/sdk/core.hpp>

namespace volt::host {

const char* hook_name(int32_t hook) {
  switch (hook) {
    case VOLT_HOOK_SETUP: return "setup";
    case VOLT_HOOK_TEARDOWN: return "teardown";
    case VOLT_HOOK_ON_FIT_START: return "on_fit_start";
    case VOLT_HOOK_ON_FIT_END: return "on_fit_end";
    case VOLT_HOOK_ON_SANITY_CHECK_START: return "on_sanity_check_start";
    case VOLT_HOOK_ON_SANITY_CHECK_END: return "on_sanity_check_end";
    case VOLT_HOOK_ON_TRAIN_START: return "on_train_start";
    case VOLT_HOOK_ON_TRAIN_END: return "on_train_end";
    case VOLT_HOOK_ON_TRAIN_EPOCH_START: return "on_train_epoch_start";
    case VOLT_HOOK_ON_TRAIN_EPOCH_END: return "on_train_epoch_end";
    case VOLT_HOOK_ON_TRAIN_BATCH_START: return "on_train_batch_start";
    case VOLT_HOOK_ON_TRAIN_BATCH_END: return "on_train_batch_end";
    case VOLT_HOOK_ON_VALIDATION_START: return "on_validation_start";
    case VOLT_HOOK_ON_VALIDATION_END: return "on_validation_end";
    case VOLT_HOOK_ON_VALIDATION_EPOCH_START: return "on_validation_epoch_start";
    case VOLT_HOOK_ON_VALIDATION_EPOCH_END: return "on_validation_epoch_end";
    case VOLT_HOOK_ON_VALIDATION_BATCH_START: return "on_validation_batch_start";
    case VOLT_HOOK_ON_VALIDATION_BATCH_END: return "on_validation_batch_end";
    case VOLT_HOOK_ON_TEST_START: return "on_test_start";
    case VOLT_HOOK_ON_TEST_END: return "on_test_end";
    case VOLT_HOOK_ON_TEST_EPOCH_START: return "on_test_epoch_start";
    case VOLT_HOOK_ON_TEST_EPOCH_END: return "on_test_epoch_end";
    case VOLT_HOOK_ON_TEST_BATCH_START: return "on_test_batch_start";
    case VOLT_HOOK_ON_TEST_BATCH_END: return "on_test_batch_end";
    case VOLT_HOOK_ON_PREDICT_START: return "on_predict_start";
    case VOLT_HOOK_ON_PREDICT_END: return "on_predict_end";
    case VOLT_HOOK_ON_PREDICT_EPOCH_START: return "on_predict_epoch_start";
    case VOLT_HOOK_ON_PREDICT_EPOCH_END: return "on_predict_epoch_end";
    case VOLT_HOOK_ON_PREDICT_BATCH_START: return "on_predict_batch_start";
    case VOLT_HOOK_ON_PREDICT_BATCH_END: return "on_predict_batch_end";
    case VOLT_HOOK_ON_BEFORE_BACKWARD: return "on_before_backward";
    case VOLT_HOOK_ON_AFTER_BACKWARD: return "on_after_backward";
    case VOLT_HOOK_ON_BEFORE_OPTIMIZER_STEP: return "on_before_optimizer_step";
    case VOLT_HOOK_ON_BEFORE_ZERO_GRAD: return "on_before_zero_grad";
    case VOLT_HOOK_ON_VALIDATION_MODEL_EVAL: return "on_validation_model_eval";
    case VOLT_HOOK_ON_VALIDATION_MODEL_TRAIN: return "on_validation_model_train";
    case VOLT_HOOK_ON_EXCEPTION: return "on_exception";
    case VOLT_HOOK_ON_TEST_MODEL_EVAL: return "on_test_model_eval";
    case VOLT_HOOK_ON_TEST_MODEL_TRAIN: return "on_test_model_train";
    case VOLT_HOOK_ON_PREDICT_MODEL_EVAL: return "on_predict_model_eval";
    case VOLT_HOOK_ON_VALIDATION_MODEL_ZERO_GRAD: return "on_validation_model_zero_grad";
    case VOLT_HOOK_ON_SAVE_CHECKPOINT: return "on_save_checkpoint";
    case VOLT_HOOK_ON_LOAD_CHECKPOINT: return "on_load_checkpoint";
    case VOLT_HOOK_CONFIGURE_MODEL: return "configure_model";
    case VOLT_HOOK_OPTIMIZER_STEP: return "optimizer_step";
    case VOLT_HOOK_OPTIMIZER_ZERO_GRAD: return "optimizer_zero_grad";
    case VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING: return "configure_gradient_clipping";
    case VOLT_HOOK_BACKWARD: return "backward";
    case VOLT_HOOK_TRANSFER_BATCH_TO_DEVICE: return "transfer_batch_to_device";
    case VOLT_HOOK_ON_BEFORE_BATCH_TRANSFER: return "on_before_batch_transfer";
    case VOLT_HOOK_ON_AFTER_BATCH_TRANSFER: return "on_after_batch_transfer";
    case VOLT_HOOK_CONFIGURE_CALLBACKS: return "configure_callbacks";
    case VOLT_HOOK_PREPARE_DATA: return "prepare_data";
    case VOLT_HOOK_TRAINING_STEP: return "training_step";
    case VOLT_HOOK_VALIDATION_STEP: return "validation_step";
    case VOLT_HOOK_TEST_STEP: return "test_step";
    case VOLT_HOOK_PREDICT_STEP: return "predict_step";
    case VOLT_HOOK_CONFIGURE_OPTIMIZERS: return "configure_optimizers";
    default: return "(outside any hook)";
  }
}

// Lightning's fx_validator table.
bool log_defaults_for_hook(int32_t hook, bool& on_step, bool& on_epoch, bool& epoch_only) {
  epoch_only = false;
  switch (hook) {
    case VOLT_HOOK_TRAINING_STEP:
    case VOLT_HOOK_ON_TRAIN_BATCH_START:
    case VOLT_HOOK_ON_TRAIN_BATCH_END:
    case VOLT_HOOK_ON_BEFORE_BACKWARD:
    case VOLT_HOOK_ON_AFTER_BACKWARD:
    case VOLT_HOOK_ON_BEFORE_OPTIMIZER_STEP:
    case VOLT_HOOK_ON_BEFORE_ZERO_GRAD:
    case VOLT_HOOK_OPTIMIZER_STEP:  // Lightning's fx_validator allows these like the ones above
    case VOLT_HOOK_OPTIMIZER_ZERO_GRAD:
    case VOLT_HOOK_CONFIGURE_GRADIENT_CLIPPING:
    case VOLT_HOOK_BACKWARD:
      on_step = true;
      on_epoch = false;
      return true;
    case VOLT_HOOK_VALIDATION_STEP:
    case VOLT_HOOK_TEST_STEP:
    case VOLT_HOOK_ON_VALIDATION_BATCH_START:
    case VOLT_HOOK_ON_VALIDATION_BATCH_END:
    case VOLT_HOOK_ON_TEST_BATCH_START:
    case VOLT_HOOK_ON_TEST_BATCH_END:
      on_step = false;
      on_epoch = true;
      return true;
    case VOLT_HOOK_ON_TRAIN_START:
    case VOLT_HOOK_ON_TRAIN_EPOCH_START:
    case VOLT_HOOK_ON_TRAIN_EPOCH_END:
    case VOLT_HOOK_ON_VALIDATION_START:
    case VOLT_HOOK_ON_VALIDATION_EPOCH_START:
    case VOLT_HOOK_ON_VALIDATION_EPOCH_END:
    case VOLT_HOOK_ON_TEST_START:
    case VOLT_HOOK_ON_TEST_EPOCH_START:
    case VOLT_HOOK_ON_TEST_EPOCH_END:
      on_step = false;
      on_epoch = true;
      epoch_only = true;
      return true;
    default:
      return false;
  }
}

at::Tensor MetricCollector::synced(const at::Tensor& v, bool sync, int32_t op) const {
  return sync && sync_ ? sync_(v, op) : v;
}

void MetricCollector::log(MetricScope scope, int32_t hook, const volt_log_args& a,
                          int64_t batch_size) {
  std::string name = a.name != nullptr ? a.name : "";
  if (name.empty()) throw Error(VOLT_ERROR_INVALID_ARGUMENT, "log(): empty metric name");
  bool on_step = false, on_epoch = false, epoch_only = false;
  if (!log_defaults_for_hook(hook, on_step, on_epoch, epoch_only))
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                "log('" + name + "'): logging is not allowed in " + hook_name(hook));
  if (a.on_step != VOLT_DEFAULT) on_step = a.on_step == VOLT_TRUE;
  if (a.on_epoch != VOLT_DEFAULT) on_epoch = a.on_epoch == VOLT_TRUE;
  if (epoch_only && (on_step || !on_epoch))
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "log('" + name + "'): " + hook_name(hook) +
                    " only allows on_step=false, on_epoch=true");
  if (!on_step && !on_epoch) return;  // Lightning: nothing to record
  if (a.reduce_fx < VOLT_REDUCE_MEAN || a.reduce_fx > VOLT_REDUCE_MIN)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "log('" + name + "'): reduce_fx must be mean, sum, max or min");

  at::Tensor value;
  if (a.value != nullptr) {
    const at::Tensor& t = volt::unwrap(a.value);
    if (t.numel() != 1)
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "log('" + name + "'): expected a one-element tensor, got shape " +
                      c10::str(t.sizes()));
    // variable_data(): detach's result without a trip through the dispatcher (the logged value
    // is only read, so it needs no shared version counter). reshape costs an op per step.
    value = t.dim() == 0 ? t.variable_data() : t.variable_data().reshape({});
    if (!value.is_floating_point()) value = value.to(at::kFloat);
  } else {
    value = at::scalar_tensor(a.scalar, at::kFloat);  // Lightning: the default dtype
  }

  Scope& s = scopes_[static_cast<int>(scope)];
  auto [it, inserted] = s.entries.try_emplace(name);
  Entry& e = it->second;
  if (inserted) s.order.push_back(name);
  e.on_step = on_step;
  e.on_epoch = on_epoch;
  e.logger = a.logger;
  e.prog_bar = a.prog_bar;
  e.sync_dist = a.sync_dist && !a.rank_zero_only;
  e.reduce = a.reduce_fx;
  if (a.prog_bar && !e.prog_bar_listed) {
    prog_bar_names_[name] = true;
    e.prog_bar_listed = true;
  }

  if (on_step) {
    e.step_value = synced(value, e.sync_dist, e.reduce);
    e.step_pending = true;
    if (e.callback_slot == nullptr) e.callback_slot = &callback_metrics_[name];
    *e.callback_slot = e.step_value;
    if (on_epoch) callback_metrics_[name + "_step"] = e.step_value;
  }
  if (on_epoch) {
    int64_t bs = a.batch_size > 0 ? a.batch_size : batch_size;
    switch (e.reduce) {
      case VOLT_REDUCE_MEAN: {
        at::Tensor weighted = value * static_cast<double>(bs);
        e.accumulated = e.accumulated.defined() ? e.accumulated + weighted : weighted;
        e.weight += static_cast<double>(bs);
        break;
      }
      case VOLT_REDUCE_SUM:
        e.accumulated = e.accumulated.defined() ? e.accumulated + value : value.clone();
        break;
      case VOLT_REDUCE_MAX:
        e.accumulated = e.accumulated.defined() ? at::maximum(e.accumulated, value) : value.clone();
        break;
      case VOLT_REDUCE_MIN:
        e.accumulated = e.accumulated.defined() ? at::minimum(e.accumulated, value) : value.clone();
        break;
    }
    e.epoch_dirty = true;
    if (s.epoch_end) compute_epoch_value(name, e);
  }
}

void MetricCollector::compute_epoch_value(const std::string& name, Entry& e) {
  at::Tensor v;
  if (e.reduce == VOLT_REDUCE_MEAN) {
    at::Tensor num = synced(e.accumulated, e.sync_dist, VOLT_REDUCE_SUM);
    at::Tensor den = synced(at::scalar_tensor(e.weight, num.scalar_type()), e.sync_dist,
                            VOLT_REDUCE_SUM);
    v = num / den;
  } else {
    v = synced(e.accumulated, e.sync_dist, e.reduce);
  }
  e.epoch_value = v;
  e.epoch_dirty = false;
  callback_metrics_[name] = v;
  if (e.on_step) callback_metrics_[name + "_epoch"] = v;
}

void MetricCollector::epoch_end_reached(MetricScope scope) {
  Scope& s = scopes_[static_cast<int>(scope)];
  for (const auto& name : s.order) {
    Entry& e = s.entries[name];
    if (e.on_epoch && e.epoch_dirty) compute_epoch_value(name, e);
  }
  s.epoch_end = true;
}

ScalarRow MetricCollector::take_step_metrics(MetricScope scope) {
  ScalarRow row;
  Scope& s = scopes_[static_cast<int>(scope)];
  for (const auto& name : s.order) {
    Entry& e = s.entries[name];
    if (!e.step_pending) continue;
    e.step_pending = false;
    if (!e.logger) continue;
    row.emplace_back(e.on_epoch ? name + "_step" : name, e.step_value.item<double>());
  }
  return row;
}

ScalarRow MetricCollector::finish_epoch(MetricScope scope) {
  ScalarRow row;
  Scope& s = scopes_[static_cast<int>(scope)];
  for (const auto& name : s.order) {
    Entry& e = s.entries[name];
    if (!e.on_epoch || !e.accumulated.defined()) continue;
    if (e.epoch_dirty) compute_epoch_value(name, e);
    if (e.logger) row.emplace_back(e.on_step ? name + "_epoch" : name, e.epoch_value.item<double>());
  }
  reset(scope);
  return row;
}

void MetricCollector::reset(MetricScope scope) {
  Scope& s = scopes_[static_cast<int>(scope)];
  s.entries.clear();
  s.order.clear();
  s.epoch_end = false;
}

bool MetricCollector::callback_metric(const std::string& name, double& out) const {
  auto it = callback_metrics_.find(name);
  if (it == callback_metrics_.end()) return false;
  out = it->second.item<double>();
  return true;
}

std::map<std::string, double> MetricCollector::callback_metrics() const {
  std::map<std::string, double> out;
  for (const auto& kv : callback_metrics_) out[kv.first] = kv.second.item<double>();
  return out;
}

std::vector<std::pair<std::string, double>> MetricCollector::progress_bar_metrics() const {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& kv : prog_bar_names_) {
    auto it = callback_metrics_.find(kv.first);
    if (it != callback_metrics_.end()) out.emplace_back(kv.first, it->second.item<double>());
  }
  return out;
}

}  // namespace volt::host
