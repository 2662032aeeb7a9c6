#include "trainer/trainer.hpp"

#include "runtime/log.hpp"

#include <volt/sdk/core.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

namespace volt::host {

namespace {

// Host capacity for tensors in one batch (datamodule get_batch).
constexpr size_t kMaxBatchTensors = 16;

bool callback_is_monitoring(const CallbackInstance& cb) {
  auto fn = cb->is_monitoring;
  return fn != nullptr && fn(cb.get());
}

}  // namespace

Trainer::Trainer(TrainerOptions options, TrainerComponents& components)
    : options_(std::move(options)),
      c_(components),
      metrics_([this](const at::Tensor& v, int32_t op) { return reduce_over_ranks(v, op); }) {
  if (options_.deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  if (options_.benchmark) at::globalContext().setBenchmarkCuDNN(*options_.benchmark);
  // Every plugin's context now answers self.log and trainer-state queries through us.
  auto attach = [this](volt_host_context* ctx) { ctx->services = this; };
  attach(c_.module.context());
  attach(c_.data.context());
  attach(c_.strategy.context());
  attach(c_.precision.context());
  for (auto& l : c_.loggers) attach(l.context());
  // Lightning runs callbacks in the given order, with checkpointing/monitoring ones last.
  for (bool monitoring : {false, true})
    for (auto& cb : c_.callbacks) {
      attach(cb.context());
      if (callback_is_monitoring(cb) == monitoring) {
        ordered_callbacks_.push_back({&cb, monitoring, implemented_hooks(cb)});
      }
    }
  module_hooks_ = implemented_hooks(c_.module);
  // The strategy gets the detected cluster environment and answers with the ranks it runs.
  const ClusterEnvironment& cluster = options_.cluster;
  info_.struct_size = volt::abi_size(&info_);
  info_.global_rank = static_cast<int32_t>(cluster.global_rank);
  info_.local_rank = static_cast<int32_t>(cluster.local_rank);
  info_.node_rank = static_cast<int32_t>(cluster.node_rank);
  info_.world_size = static_cast<int32_t>(cluster.world_size);
  info_.num_nodes = static_cast<int32_t>(options_.num_nodes);
  info_.local_world_size = static_cast<int32_t>(options_.local_world_size);
  info_.main_address = cluster.main_address.c_str();
  info_.main_port = cluster.main_port;
  info_.environment = cluster.kind.c_str();
  info_.accelerator = options_.accelerator_kind.c_str();
  c_.strategy.check(c_.strategy->setup_environment(c_.strategy.get(), &info_), "setup_environment");
  root_device_ = info_.root_device != nullptr ? info_.root_device : "cpu";
  check_strategy_collectives();
  if (cluster.world_size > 1 && info_.world_size == 1)
    log::warning("the strategy runs this process alone although the ", cluster.kind,
                 " environment says world size ", cluster.world_size,
                 ": every process trains on its own (use --strategy=ddp)");
  if (!c_.loggers.empty()) {
    const char* dir = c_.loggers.front()->log_dir(c_.loggers.front().get());
    if (dir != nullptr) log_dir_ = dir;
  }
  if (info_.world_size > 1) share_log_dir();
  auto automatic = c_.module->automatic_optimization;
  automatic_optimization_ = automatic == nullptr || automatic(c_.module.get());
}

Trainer::~Trainer() {
  for (auto& slot : optimizers_) {
    if (slot.scheduler != nullptr) slot.scheduler->destroy(slot.scheduler);
    if (slot.optimizer != nullptr) slot.optimizer->destroy(slot.optimizer);
  }
}

// --- services -------------------------------------------------------------------------------

void Trainer::log_metric(const volt_log_args& args) {
  if (sanity_checking_ && scope_ != MetricScope::Validation) return;
  metrics_.log(scope_, hook_, args, current_batch_size_);
}

void Trainer::fill_state(volt_trainer_state& s) const {
  s.stage = stage_;
  s.hook = hook_;
  s.sanity_checking = sanity_checking_;
  s.training = training_;
  s.current_epoch = current_epoch_;
  s.global_step = global_step_;
  s.max_epochs = options_.max_epochs;
  s.max_steps = options_.max_steps;
  s.global_rank = info_.global_rank;
  s.local_rank = info_.local_rank;
  s.node_rank = info_.node_rank;
  s.world_size = info_.world_size;
  s.log_dir = log_dir_.empty() ? nullptr : log_dir_.c_str();
  s.root_dir = options_.default_root_dir.c_str();
  s.num_batches = loop_batches_;
  s.num_val_batches = num_val_batches_;
  s.check_val_every_n_epoch = options_.check_val_every_n_epoch.value_or(0);
  const BatchLimit& every = options_.val_check_interval;
  s.val_check_interval = every.is_fraction ? every.fraction : static_cast<double>(every.count);
  s.ckpt_path = ckpt_path_.empty() ? nullptr : ckpt_path_.c_str();
}

std::string Trainer::progress_bar_metrics_json() const {
  nlohmann::json bar = nlohmann::json::object();
  for (const auto& [name, value] : metrics_.progress_bar_metrics()) bar[name] = value;
  return bar.dump();
}

std::string Trainer::callback_metrics_json() const {
  nlohmann::json all = nlohmann::json::object();
  for (const auto& [name, value] : metrics_.callback_metrics()) all[name] = value;
  return all.dump();
}

std::string Trainer::precision_state_key() const {
  auto key = c_.precision->state_key;
  const char* text = key != nullptr ? key(c_.precision.get()) : nullptr;
  return text != nullptr && *text != '\0' ? text : "PrecisionPlugin";
}

bool Trainer::callback_metric(const std::string& name, double& out) const {
  return metrics_.callback_metric(name, out);
}

bool Trainer::has_callback(const std::string& id) const {
  for (const auto& cb : c_.callbacks)
    if (cb.label().find("'" + id + "'") != std::string::npos) return true;
  return false;
}

bool Trainer::optimizer_info(size_t index, volt_optimizer_info& out) const {
  if (index >= optimizers_.size()) return false;
  const OptimizerSlot& slot = optimizers_[index];
  out.optimizer = slot.optimizer;
  out.has_scheduler = slot.scheduler != nullptr;
  out.interval = slot.interval;
  out.frequency = slot.frequency;
  out.scheduler_name = slot.name.empty() ? nullptr : slot.name.c_str();
  return true;
}

void Trainer::set_accumulate_grad_batches(int64_t n) {
  if (n < 1)
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "accumulate_grad_batches must be >= 1, got " + std::to_string(n));
  if (hook_ != VOLT_HOOK_ON_TRAIN_EPOCH_START)
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                "accumulate_grad_batches can only change in on_train_epoch_start");
  options_.accumulate_grad_batches = n;
}

namespace {

// The counts of a boundary-vote sum a plugin returned, releasing the reference.
RequestCounts take_counts(volt_tensor* t, const std::string& strategy) {
  struct Release {
    volt_tensor* t;
    ~Release() { volt::release_ref(t); }
  } release{t};
  at::Tensor sum = volt::unwrap(t).to(at::kCPU, at::kDouble).contiguous();
  RequestCounts counts{};
  if (sum.numel() != static_cast<int64_t>(counts.size()))
    throw Error(VOLT_ERROR_INTERNAL, strategy + ": reduce returned " + std::to_string(sum.numel()) +
                                         " values for " + std::to_string(counts.size()));
  std::copy_n(sum.data_ptr<double>(), counts.size(), counts.begin());
  return counts;
}

// A boundary-vote sum in flight in the strategy (ABI 1.4 start_reduce / finish_reduce).
class StrategyPendingSum final : public PendingSum {
 public:
  using Finish = decltype(volt_strategy::finish_reduce);
  StrategyPendingSum(const StrategyInstance& strategy, Finish finish, volt_pending_reduce* pending)
      : strategy_(strategy), finish_(finish), pending_(pending) {}
  ~StrategyPendingSum() override {
    if (pending_ == nullptr) return;
    try {  // given up without waiting
      strategy_.check(finish_(strategy_.get(), pending_, nullptr), "finish_reduce");
    } catch (const std::exception& e) {
      log::warning(e.what());
    }
  }
  RequestCounts wait() override {
    volt_tensor* out = nullptr;
    strategy_.check(finish_(strategy_.get(), std::exchange(pending_, nullptr), &out), "finish_reduce");
    return take_counts(out, strategy_.label());
  }

 private:
  const StrategyInstance& strategy_;
  Finish finish_;
  volt_pending_reduce* pending_;
};

// A strategy older than ABI 1.4 sums before the vote goes on.
class FinishedSum final : public PendingSum {
 public:
  explicit FinishedSum(const RequestCounts& sum) : sum_(sum) {}
  RequestCounts wait() override { return sum_; }

 private:
  RequestCounts sum_;
};

}  // namespace

std::unique_ptr<PendingSum> Trainer::start_request_sum(const RequestCounts& counts) {
  at::Tensor values = at::tensor(at::ArrayRef<double>(counts.data(), counts.size()))
                          .to(at::TensorOptions().dtype(at::kFloat).device(root_device_));
  auto start = c_.strategy->start_reduce;
  auto finish = c_.strategy->finish_reduce;
  if (start == nullptr || finish == nullptr)
    return std::make_unique<FinishedSum>(
        take_counts(volt::new_ref(reduce_over_ranks(values, VOLT_REDUCE_SUM)), c_.strategy.label()));
  volt_pending_reduce* pending = nullptr;
  c_.strategy.check(start(c_.strategy.get(), volt::borrow(values), VOLT_REDUCE_SUM, &pending),
                    "start_reduce");
  return std::make_unique<StrategyPendingSum>(c_.strategy, finish, pending);
}

void Trainer::request_stop(const std::string& reason) {
  should_stop_ = true;
  if (stop_reason_.empty()) stop_reason_ = reason;
}

// --- hooks ----------------------------------------------------------------------------------

void Trainer::call_callbacks(int32_t hook, const volt_hook_args& args, bool monitoring) {
  for (const OrderedCallback& cb : ordered_callbacks_) {
    if (cb.monitoring != monitoring || !cb.hooks.has(hook)) continue;
    cb.instance->check((*cb.instance)->on_hook(cb.instance->get(), hook, &args), hook_name(hook));
  }
}

void Trainer::call_module(int32_t hook, const volt_hook_args& args) {
  if (!module_hooks_.has(hook)) return;
  c_.module.check(c_.module->on_hook(c_.module.get(), hook, &args), hook_name(hook));
}

void Trainer::call_hook(int32_t hook, volt_hook_args args) {
  args.struct_size = volt::abi_size(&args);
  args.stage = stage_;
  args.module = c_.module.get();
  int32_t previous = hook_;
  hook_ = hook;
  if (hook == VOLT_HOOK_ON_TRAIN_EPOCH_END) {
    // Monitoring callbacks see what the module logged at epoch end (Lightning's FitLoop).
    call_callbacks(hook, args, false);
    call_module(hook, args);
    call_callbacks(hook, args, true);
  } else {
    call_callbacks(hook, args, false);
    call_callbacks(hook, args, true);
    // Sanity-check hooks exist only on callbacks.
    if (hook != VOLT_HOOK_ON_SANITY_CHECK_START && hook != VOLT_HOOK_ON_SANITY_CHECK_END)
      call_module(hook, args);
  }
  hook_ = previous;
}

volt_hook_args Trainer::batch_args(const HostBatch& batch, int64_t batch_idx) const {
  volt_hook_args a{};
  a.batch = batch.data();
  a.batch_len = batch.size();
  a.batch_idx = batch_idx;
  return a;
}

// --- data -----------------------------------------------------------------------------------

int64_t Trainer::available_batches(int32_t split) const {
  volt_loader_args la{};
  la.struct_size = volt::abi_size(&la);
  la.split = split;
  la.epoch = current_epoch_;
  la.rank = info_.global_rank;
  la.world_size = info_.world_size;
  la.shuffle = VOLT_DEFAULT;
  int64_t n = 0;
  c_.data.check(c_.data->num_batches(c_.data.get(), &la, &n), "num_batches");
  return n;
}

void Trainer::fetch_batch(int32_t split, int64_t epoch, int64_t index, HostBatch& out) {
  volt_loader_args la{};
  la.struct_size = volt::abi_size(&la);
  la.split = split;
  la.epoch = epoch;
  la.rank = info_.global_rank;
  la.world_size = info_.world_size;
  la.shuffle = VOLT_DEFAULT;
  volt_dl_managed_tensor* tensors[kMaxBatchTensors] = {};
  size_t count = 0;
  c_.data.check(c_.data->get_batch(c_.data.get(), &la, index, tensors, kMaxBatchTensors, &count),
                "get_batch");
  out.clear();
  size_t n = std::min(count, kMaxBatchTensors);
  for (size_t i = 0; i < n; ++i) {
    try {
      out.push(volt::from_dlpack(tensors[i]));  // takes tensors[i], also when it throws
    } catch (const Error& e) {
      for (size_t j = i + 1; j < n; ++j)  // the rest are still the host's to return
        if (tensors[j] != nullptr && tensors[j]->deleter != nullptr) tensors[j]->deleter(tensors[j]);
      throw Error(e.code(), c_.data.label() + ": get_batch: " + e.what());
    }
  }
  transfer_batch(out);
  c_.precision.check(c_.precision->convert_input(c_.precision.get(), out.data(), out.size()),
                     "convert_input");
  current_batch_size_ = out.batch_size();
}

void Trainer::strategy_step_begin(int32_t step) {
  auto begin = c_.strategy->step_begin;
  if (begin != nullptr) c_.strategy.check(begin(c_.strategy.get(), c_.module.get(), step), "step_begin");
}

void Trainer::strategy_step_end(int32_t step) {
  auto end = c_.strategy->step_end;
  if (end != nullptr) c_.strategy.check(end(c_.strategy.get(), c_.module.get(), step), "step_end");
}

void Trainer::log_to_loggers(const ScalarRow& row, int64_t step) {
  if (row.empty() || c_.loggers.empty() || info_.global_rank != 0) return;
  // Lightning adds the epoch to every logged row.
  std::vector<volt_metric> metrics;
  metrics.reserve(row.size() + 1);
  bool has_epoch = false;
  for (const auto& [name, value] : row) {
    metrics.push_back({name.c_str(), value});
    has_epoch = has_epoch || name == "epoch";
  }
  if (!has_epoch) metrics.push_back({"epoch", static_cast<double>(current_epoch_)});
  for (auto& logger : c_.loggers) {
    logger.check(logger->log_metrics(logger.get(), metrics.data(), metrics.size(), step),
                 "log_metrics");
    logger.check(logger->save(logger.get()), "save");
  }
}

// --- setup ----------------------------------------------------------------------------------

void Trainer::setup(int32_t stage) {
  stage_ = stage;
  auto prepare = c_.data->prepare_data;
  if (prepare != nullptr) c_.data.check(prepare(c_.data.get()), "prepare_data");
  call_module_hook(VOLT_HOOK_PREPARE_DATA, {});  // Lightning: the datamodule's, then the module's
  auto data_setup = c_.data->setup;
  if (data_setup != nullptr) c_.data.check(data_setup(c_.data.get(), stage), "setup");
  call_hook(VOLT_HOOK_SETUP);
  call_module_hook(VOLT_HOOK_CONFIGURE_MODEL, {});
  c_.strategy.check(c_.strategy->setup_module(c_.strategy.get(), c_.module.get()), "setup_module");
  c_.precision.check(c_.precision->convert_module(c_.precision.get(), c_.module.get()),
                     "convert_module");
}

void Trainer::teardown(int32_t stage) {
  stage_ = stage;
  call_hook(VOLT_HOOK_TEARDOWN);
  auto fn = c_.strategy->teardown;
  if (fn != nullptr) c_.strategy.check(fn(c_.strategy.get()), "teardown");
}

void Trainer::configure_optimizers() {
  struct Sink {
    std::vector<OptimizerSlot>* slots;
  } sink_ctx{&optimizers_};
  volt_optimizer_sink sink{};
  sink.struct_size = volt::abi_size(&sink);
  sink.ctx = &sink_ctx;
  sink.add = [](void* ctx, volt_optimizer* opt, volt_lr_scheduler* sched,
                const volt_scheduler_config* cfg) -> volt_error* {
    OptimizerSlot slot;
    slot.optimizer = opt;
    slot.scheduler = sched;
    slot.optimizer_fns = complete_table(opt);
    slot.scheduler_fns = complete_table(sched);
    if (cfg != nullptr) {
      slot.interval = cfg->interval;
      slot.frequency = cfg->frequency > 0 ? cfg->frequency : 1;
      if (cfg->monitor != nullptr) slot.monitor = cfg->monitor;
      if (cfg->name != nullptr) slot.name = cfg->name;
    }
    static_cast<Sink*>(ctx)->slots->push_back(slot);
    return nullptr;
  };
  int32_t previous = hook_;
  hook_ = VOLT_HOOK_CONFIGURE_OPTIMIZERS;
  c_.module.check(c_.module->configure_optimizers(c_.module.get(), &sink), "configure_optimizers");
  hook_ = previous;
  if (optimizers_.empty() && automatic_optimization_)
    throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                c_.module.label() + ": configure_optimizers returned no optimizer");
  for (auto& slot : optimizers_)
    c_.strategy.check(c_.strategy->setup_optimizer(c_.strategy.get(), slot.optimizer),
                      "setup_optimizer");
}

void Trainer::log_hyperparameters() {
  if (hparams_logged_ || c_.loggers.empty() || info_.global_rank != 0) return;
  hparams_logged_ = true;
  nlohmann::json hp = nlohmann::json::parse(c_.module->hparams_json(c_.module.get()));
  auto data_hp = c_.data->hparams_json;
  if (data_hp != nullptr) {
    // Lightning merges the datamodule's hyper-parameters into the logged ones.
    // Lightning refuses keys present in both with different values.
    nlohmann::json d = nlohmann::json::parse(data_hp(c_.data.get()));
    std::vector<std::string> clashes;
    for (auto it = d.begin(); it != d.end(); ++it) {
      if (!hp.contains(it.key())) hp[it.key()] = it.value();
      else if (hp[it.key()] != it.value()) clashes.push_back(it.key());
    }
    if (!clashes.empty()) {
      std::string keys;
      for (const auto& k : clashes) keys += (keys.empty() ? "'" : ", '") + k + "'";
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "Error while merging hparams: the keys " + keys +
                      " are present in both the LightningModule's and the DataModule's "
                      "hparams but have different values");
    }
  }
  std::string text = hp.dump();
  for (auto& logger : c_.loggers)
    logger.check(logger->log_hyperparams(logger.get(), text.c_str()), "log_hyperparams");
}

void Trainer::finalize_loggers(const char* status) {
  if (info_.global_rank != 0) return;
  // The error thrown below reaches the stage's handler, which finalizes again: once is enough.
  if (finalize_failed_) {
    finalize_failed_ = false;
    return;
  }
  std::string failures;
  for (auto& logger : c_.loggers) {
    volt_error* err = logger->finalize(logger.get(), status);
    if (err != nullptr) {
      failures += (failures.empty() ? "" : "; ") + logger.label() + ": finalize: " +
                  volt::detail::host().error_message(err);
      volt::detail::host().error_free(err);
    }
  }
  if (failures.empty()) return;
  // Logs lost at the end of a run that otherwise succeeded fail the run.
  if (std::string(status) == "success") {
    finalize_failed_ = true;
    throw Error(VOLT_ERROR_DATA_LOSS, failures + " (the run's logs are incomplete)");
  }
  log::error(failures);
}

void Trainer::on_exception(const std::string& message) {
  volt_hook_args a{};
  a.struct_size = volt::abi_size(&a);
  a.message = message.c_str();
  a.module = c_.module.get();
  // Best effort: an error inside on_exception must not hide the original one.
  auto report = [](volt_error* err) {
    if (err == nullptr) return;
    log::error("on_exception: ", volt::detail::host().error_message(err));
    volt::detail::host().error_free(err);
  };
  for (const OrderedCallback& cb : ordered_callbacks_)
    if (cb.hooks.has(VOLT_HOOK_ON_EXCEPTION))
      report((*cb.instance)->on_hook(cb.instance->get(), VOLT_HOOK_ON_EXCEPTION, &a));
  if (module_hooks_.has(VOLT_HOOK_ON_EXCEPTION))
    report(c_.module->on_hook(c_.module.get(), VOLT_HOOK_ON_EXCEPTION, &a));
}

}  // namespace volt::host
