// Owning wrappers around plugin instances, and the host's view of a batch.
#pragma once

#include "plugin/table_completion.hpp"
#include "runtime/host_api.hpp"

#include <volt/sdk/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace volt::host {

// One plugin instance: its C table, its context, and the label that prefixes its errors.
// Destroying it calls the table's destroy(); the context outlives that call. `->` reads the
// table completed to this host's ABI (plugin/table_completion.hpp): a function of a later
// minor than the plugin's is NULL there. get() is the plugin's own table, the `self` of calls.
template <class Table>
class Instance {
 public:
  Instance() = default;
  Instance(Table* table, std::unique_ptr<volt_host_context> context)
      : table_(table), fns_(complete_table(table)), context_(std::move(context)) {}
  Instance(Instance&& o) noexcept : table_(o.table_), fns_(o.fns_), context_(std::move(o.context_)) {
    o.table_ = nullptr;
  }
  Instance& operator=(Instance&& o) noexcept {
    if (this != &o) {
      reset();
      table_ = o.table_;
      fns_ = o.fns_;
      context_ = std::move(o.context_);
      o.table_ = nullptr;
    }
    return *this;
  }
  ~Instance() { reset(); }
  void reset() {
    if (table_ != nullptr) fns_.destroy(table_);
    table_ = nullptr;
  }
  Table* get() const { return table_; }
  const Table* operator->() const { return &fns_; }
  explicit operator bool() const { return table_ != nullptr; }
  const std::string& label() const { return context_->label; }
  const std::string& id() const { return context_->id; }
  volt_host_context* context() const { return context_.get(); }
  // Throws volt::Error prefixed with the label when `error` is set.
  void check(volt_error* error, const char* what) const {
    if (error != nullptr) check_plugin(error, label(), what);  // inline: a step makes ~20 calls
  }

 private:
  Table* table_ = nullptr;
  Table fns_{};
  std::unique_ptr<volt_host_context> context_;
};

using ModuleInstance = Instance<volt_module>;
using DataModuleInstance = Instance<volt_datamodule>;
using StrategyInstance = Instance<volt_strategy>;
using PrecisionInstance = Instance<volt_precision>;
using LoggerInstance = Instance<volt_logger>;
using CallbackInstance = Instance<volt_callback>;

// The plugin instances one trainer runs; made by the caller, outliving the trainer.
struct TrainerComponents {
  ModuleInstance module;
  DataModuleInstance data;
  StrategyInstance strategy;
  PrecisionInstance precision;
  std::vector<LoggerInstance> loggers;
  std::vector<CallbackInstance> callbacks;
};

// The tensors of one batch as handles the host owns (new references).
class HostBatch {
 public:
  HostBatch() = default;
  HostBatch(const HostBatch&) = delete;
  HostBatch& operator=(const HostBatch&) = delete;
  ~HostBatch() { clear(); }

  void clear() {
    for (volt_tensor* h : handles_) volt::release_ref(h);
    handles_.clear();
  }
  void push(at::Tensor t) { handles_.push_back(volt::new_ref(std::move(t))); }
  volt_tensor** data() { return handles_.data(); }
  volt_tensor* const* data() const { return handles_.data(); }
  size_t size() const { return handles_.size(); }
  const at::Tensor& tensor(size_t i) const { return volt::unwrap(handles_[i]); }
  // Hook arguments pointing at this batch (on_*_batch_start, on_*_batch_end).
  volt_hook_args hook_args(int64_t batch_idx) const {
    volt_hook_args a{};
    a.batch = handles_.data();
    a.batch_len = handles_.size();
    a.batch_idx = batch_idx;
    return a;
  }
  // Lightning's extract_batch_size: the first dimension of the first tensor.
  int64_t batch_size() const {
    if (handles_.empty()) return 1;
    const at::Tensor& t = tensor(0);
    return t.dim() > 0 ? t.size(0) : 1;
  }

 private:
  std::vector<volt_tensor*> handles_;
};

}  // namespace volt::host
