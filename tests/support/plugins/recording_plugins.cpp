// Test-only plugins for the trainer tests (tests/host/trainer, tests/e2e). Built into
// ${CMAKE_BINARY_DIR}/tests/plugins/volt_test_plugins.so by tests/CMakeLists.txt.
//
// The plugins report what happened to the test through plain text files named in their
// config (the test and the plugin live in different shared objects; a file is the simplest
// channel that needs no exported symbol):
//
//   recording_module    a tiny LightningModule (one Linear layer, cross-entropy) that appends
//                       the name of every hook, step and configure_optimizers it runs to
//                       `log_path`, one per line. Optionally logs train_loss on step and epoch.
//   recording_callback  a Callback that appends "<prefix><hook>" for every hook it receives
//                       (prefix "Callback." by default).
//   recording_monitor   the same with is_monitoring() = true and prefix "Monitor.", to check
//                       that monitoring callbacks run last.
//   loss_recorder       a Callback that appends
//                       "<epoch> <batch_idx> <global_step> <outputs> <backward_loss>" at every
//                       on_train_batch_end: outputs is the loss on_train_batch_end received,
//                       backward_loss the one on_before_backward received for the same batch
//                       (both printed with %a, so they read back bit for bit; "nan" when a
//                       hook did not run). With `params_path`, on_fit_start also writes
//                       the module's parameters there, one per line: the name, then every
//                       value (flattened) with %a.
//   override_module     overrides one of the trainer steps a module may replace
//                       (override_module.hpp).
#include "override_module.hpp"

#include <volt/sdk.hpp>

#include <csignal>

#include <ATen/Parallel.h>
#include <c10/core/DefaultDtype.h>

#include <cmath>
#include <cstdio>
#include <string>

namespace volt::test_plugins {

namespace {

// Appends one line to `path` (no-op for an empty path). Opened per line: the tests read the
// file only after the run, and a crash still leaves what was recorded.
void append_line(const std::string& path, const std::string& line) {
  if (path.empty()) return;
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) throw Error(VOLT_ERROR_DATA_LOSS, "cannot append to " + path);
  std::fputs(line.c_str(), f);
  std::fputc('\n', f);
  std::fclose(f);
}

}  // namespace

class RecordingModule : public LightningModule {
 public:
  static PluginInfo info() {
    return {"recording_module", "1.0.0", "Test module that records every hook it runs",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "log_path": {"type": "string", "default": "", "description": "hook log file"},
              "in_features": {"type": "integer", "minimum": 1, "default": 4},
              "num_classes": {"type": "integer", "minimum": 2, "default": 2},
              "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.1},
              "log_train_epoch": {"type": "boolean", "default": false,
                                  "description": "log train_loss with on_step and on_epoch"}}})json"};
  }

  explicit RecordingModule(const nlohmann::json& config)
      : path_(config.at("log_path").get<std::string>()),
        lr_(config.at("lr").get<double>()),
        log_train_epoch_(config.at("log_train_epoch").get<bool>()) {
    linear_ = register_module(
        "linear", torch::nn::Linear(config.at("in_features").get<int64_t>(),
                                    config.at("num_classes").get<int64_t>()));
    save_hyperparameters(config);
  }

  torch::Tensor training_step(const Batch& batch, int64_t /*batch_idx*/) override {
    record("training_step");
    torch::Tensor loss = torch::cross_entropy_loss(linear_->forward(batch.at(0)), batch.at(1));
    if (log_train_epoch_) log("train_loss", loss, LogOptions().on_step(true).on_epoch(true));
    return loss;
  }
  torch::Tensor validation_step(const Batch& batch, int64_t /*batch_idx*/) override {
    record("validation_step");
    log("val_loss", torch::cross_entropy_loss(linear_->forward(batch.at(0)), batch.at(1)));
    return {};
  }
  Optimizers configure_optimizers() override {
    record("configure_optimizers");
    return std::make_shared<torch::optim::SGD>(parameters(), torch::optim::SGDOptions(lr_));
  }

  void setup(Stage) override { record("setup"); }
  void teardown(Stage) override { record("teardown"); }
  void on_fit_start() override { record("on_fit_start"); }
  void on_fit_end() override { record("on_fit_end"); }
  void on_train_start() override { record("on_train_start"); }
  void on_train_end() override { record("on_train_end"); }
  void on_train_epoch_start() override { record("on_train_epoch_start"); }
  void on_train_epoch_end() override { record("on_train_epoch_end"); }
  void on_train_batch_start(const Batch&, int64_t) override { record("on_train_batch_start"); }
  void on_train_batch_end(const torch::Tensor&, const Batch&, int64_t) override {
    record("on_train_batch_end");
  }
  void on_validation_start() override { record("on_validation_start"); }
  void on_validation_end() override { record("on_validation_end"); }
  void on_validation_epoch_start() override { record("on_validation_epoch_start"); }
  void on_validation_epoch_end() override { record("on_validation_epoch_end"); }
  void on_validation_batch_start(const Batch&, int64_t) override {
    record("on_validation_batch_start");
  }
  void on_validation_batch_end(const torch::Tensor&, const Batch&, int64_t) override {
    record("on_validation_batch_end");
  }
  void on_before_backward(const torch::Tensor&) override { record("on_before_backward"); }
  void on_after_backward() override { record("on_after_backward"); }
  void on_before_optimizer_step(int32_t) override { record("on_before_optimizer_step"); }
  void on_before_zero_grad(int32_t) override { record("on_before_zero_grad"); }
  void on_validation_model_eval() override {
    record("on_validation_model_eval");
    eval();
  }
  void on_validation_model_train() override {
    record("on_validation_model_train");
    train();
  }
  void on_validation_model_zero_grad() override {
    record("on_validation_model_zero_grad");
    LightningModule::on_validation_model_zero_grad();
  }
  void on_test_model_eval() override { record("on_test_model_eval"); }
  void on_test_model_train() override { record("on_test_model_train"); }
  void on_predict_model_eval() override { record("on_predict_model_eval"); }
  void on_test_start() override { record(is_training() ? "on_test_start(train)" : "on_test_start"); }
  void on_test_end() override { record("on_test_end"); }
  void on_predict_batch_start(const Batch&, int64_t) override { record("on_predict_batch_start"); }
  void on_predict_batch_end(const torch::Tensor&, const Batch&, int64_t) override {
    record("on_predict_batch_end");
  }
  torch::Tensor test_step(const Batch& batch, int64_t /*batch_idx*/) override {
    record("test_step");
    log("test_loss", torch::cross_entropy_loss(linear_->forward(batch.at(0)), batch.at(1)));
    return {};
  }
  torch::Tensor predict_step(const Batch& batch, int64_t /*batch_idx*/) override {
    record("predict_step");
    return linear_->forward(batch.at(0));
  }
  void on_exception(const std::string&) override { record("on_exception"); }
  // ABI 1.10's module hooks, each doing what the trainer would do without them.
  void configure_model() override { record("configure_model"); }
  void prepare_data() override { record("prepare_data"); }
  Batch on_before_batch_transfer(Batch batch, int32_t) override {
    record("on_before_batch_transfer");
    return batch;
  }
  Batch transfer_batch_to_device(Batch batch, const torch::Device& device, int32_t idx) override {
    record("transfer_batch_to_device");
    return LightningModule::transfer_batch_to_device(std::move(batch), device, idx);
  }
  Batch on_after_batch_transfer(Batch batch, int32_t) override {
    record("on_after_batch_transfer");
    return batch;
  }
  // Recorded when it returns, as Lightning's test records it (the step runs inside).
  void optimizer_step(int64_t, int64_t, torch::optim::Optimizer&,
                      const std::function<void()>& step) override {
    step();
    record("optimizer_step");
  }
  void optimizer_zero_grad(int64_t epoch, int64_t batch_idx, torch::optim::Optimizer& o) override {
    record("optimizer_zero_grad");
    LightningModule::optimizer_zero_grad(epoch, batch_idx, o);
  }
  void configure_gradient_clipping(torch::optim::Optimizer& o, std::optional<double> val,
                                   std::optional<std::string> algorithm) override {
    record("configure_gradient_clipping");
    clip_gradients(o, val, algorithm);
  }
  void backward(const torch::Tensor& loss) override {
    record("backward");
    loss.backward();
  }
  void on_save_checkpoint(CheckpointDict&) override { record("on_save_checkpoint"); }
  void on_load_checkpoint(const CheckpointDict&) override { record("on_load_checkpoint"); }

 private:
  void record(const char* hook) { append_line(path_, hook); }

  std::string path_;
  double lr_;
  bool log_train_epoch_;
  torch::nn::Linear linear_{nullptr};
};

// Records, at the first training step, the dtypes a precision plugin produced: the input, the
// activation of its linear layer (inside the step), the default dtype, and the parameter;
// one line "input=... activation=... default=... parameter=...".
class DtypeProbe : public LightningModule {
 public:
  static PluginInfo info() {
    return {"dtype_probe", "1.0.0", "Test module that records the dtypes inside training_step",
            R"json({"type": "object", "additionalProperties": false, "required": ["path"],
              "properties": {"path": {"type": "string"},
                             "in_features": {"type": "integer", "minimum": 1, "default": 8},
                             "num_classes": {"type": "integer", "minimum": 2, "default": 3},
                             "nan_at_batch": {"type": "integer", "default": -1,
                                              "description": "this batch's loss is NaN"},
                             "nan_on_rank": {"type": "integer", "default": -1,
                                             "description": "only on this rank (-1: all)"},
                             "nan_in": {"enum": ["all", "bias"], "default": "all",
                                        "description": "which gradients become NaN"}}})json"};
  }
  explicit DtypeProbe(const nlohmann::json& config)
      : path_(config.at("path").get<std::string>()),
        nan_at_batch_(config.at("nan_at_batch").get<int64_t>()),
        nan_on_rank_(config.at("nan_on_rank").get<int32_t>()),
        nan_in_bias_(config.at("nan_in").get<std::string>() == "bias") {
    linear_ = register_module("linear", torch::nn::Linear(config.at("in_features").get<int64_t>(),
                                                          config.at("num_classes").get<int64_t>()));
  }
  torch::Tensor training_step(const Batch& batch, int64_t batch_idx) override {
    torch::Tensor y = linear_->forward(batch.at(0));
    if (batch_idx == 0)
      append_line(path_, "input=" + std::string(c10::toString(batch.at(0).scalar_type())) +
                             " activation=" + c10::toString(y.scalar_type()) +
                             " default=" + c10::toString(c10::typeMetaToScalarType(c10::get_default_dtype())) +
                             " parameter=" + c10::toString(linear_->weight.scalar_type()));
    torch::Tensor loss = torch::cross_entropy_loss(y.to(torch::kFloat), batch.at(1));
    if (batch_idx == nan_at_batch_ && (nan_on_rank_ < 0 || nan_on_rank_ == global_rank())) {
      if (nan_in_bias_) loss = loss + linear_->bias.sum() * std::nan("");  // the bias's only
      else loss = loss * std::nan("");  // every gradient of this step becomes NaN
    }
    return loss;
  }
  Optimizers configure_optimizers() override {
    return std::make_shared<torch::optim::SGD>(parameters(), torch::optim::SGDOptions(0.1));
  }

 private:
  std::string path_;
  int64_t nan_at_batch_;
  int32_t nan_on_rank_;
  bool nan_in_bias_;
  torch::nn::Linear linear_{nullptr};
};

class RecordingCallback : public Callback {
 public:
  static PluginInfo info() {
    return {"recording_callback", "1.0.0", "Test callback that records every hook it receives",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "log_path": {"type": "string", "default": ""},
              "prefix": {"type": "string", "default": "Callback."},
              "fail_in": {"type": "string", "default": "",
                          "description": "a hook that throws; on_exception then records the trainer state"}}})json"};
  }

  explicit RecordingCallback(const nlohmann::json& config)
      : path_(config.at("log_path").get<std::string>()),
        prefix_(config.at("prefix").get<std::string>()),
        fail_in_(config.value("fail_in", std::string())) {}

  void setup(Stage) override { record("setup"); }
  void teardown(Stage) override { record("teardown"); }
  void on_fit_start() override { record("on_fit_start"); }
  void on_fit_end() override { record("on_fit_end"); }
  void on_sanity_check_start() override { record("on_sanity_check_start"); }
  void on_sanity_check_end() override { record("on_sanity_check_end"); }
  void on_train_start() override { record("on_train_start"); }
  void on_train_end() override { record("on_train_end"); }
  void on_train_epoch_start() override { record("on_train_epoch_start"); }
  void on_train_epoch_end() override { record("on_train_epoch_end"); }
  void on_train_batch_start(const Batch&, int64_t) override { record("on_train_batch_start"); }
  void on_train_batch_end(const torch::Tensor&, const Batch&, int64_t) override {
    record("on_train_batch_end");
  }
  void on_validation_start() override { record("on_validation_start"); }
  void on_validation_end() override { record("on_validation_end"); }
  void on_validation_epoch_start() override { record("on_validation_epoch_start"); }
  void on_validation_epoch_end() override { record("on_validation_epoch_end"); }
  void on_validation_batch_start(const Batch&, int64_t) override {
    record("on_validation_batch_start");
  }
  void on_validation_batch_end(const torch::Tensor&, const Batch&, int64_t) override {
    record("on_validation_batch_end");
  }
  void on_before_backward(const torch::Tensor&) override { record("on_before_backward"); }
  void on_after_backward() override { record("on_after_backward"); }
  void on_before_optimizer_step(int32_t) override { record("on_before_optimizer_step"); }
  void on_before_zero_grad(int32_t) override { record("on_before_zero_grad"); }
  void on_exception(const std::string&) override {
    record("on_exception");
    if (fail_in_.empty()) return;
    volt_trainer_state s = trainer_state();
    append_line(path_, prefix_ + "state hook=" + std::to_string(s.hook) +
                           " sanity_checking=" + std::to_string(s.sanity_checking) +
                           " training=" + std::to_string(s.training) +
                           " num_batches=" + std::to_string(s.num_batches));
  }
  void on_save_checkpoint(CheckpointDict&) override { record("on_save_checkpoint"); }
  void on_load_checkpoint(const CheckpointDict&) override { record("on_load_checkpoint"); }

 protected:
  void record(const char* hook) {
    append_line(path_, prefix_ + hook);
    if (hook == fail_in_) throw Error(VOLT_ERROR_INTERNAL, std::string("failing in ") + hook);
  }

 private:
  std::string path_;
  std::string prefix_;
  std::string fail_in_;
};

class RecordingMonitor : public RecordingCallback {
 public:
  static PluginInfo info() {
    return {"recording_monitor", "1.0.0",
            "Test monitoring callback (runs after the others) that records every hook",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "log_path": {"type": "string", "default": ""},
              "prefix": {"type": "string", "default": "Monitor."}}})json"};
  }
  explicit RecordingMonitor(const nlohmann::json& config) : RecordingCallback(config) {}
  bool is_monitoring() const override { return true; }
};

class LossRecorder : public Callback {
 public:
  static PluginInfo info() {
    return {"loss_recorder", "1.0.0", "Test callback that records the training loss of every batch",
            R"json({"type": "object", "additionalProperties": false, "required": ["path"],
              "properties": {"path": {"type": "string"},
                             "params_path": {"type": "string", "default": ""}}})json"};
  }

  explicit LossRecorder(const nlohmann::json& config)
      : path_(config.at("path").get<std::string>()),
        params_path_(config.at("params_path").get<std::string>()) {}

  void on_fit_start() override {
    if (params_path_.empty()) return;
    for (const auto& [name, tensor] : module().named_parameters()) {
      torch::Tensor flat = tensor.detach().to(torch::kDouble).contiguous().view(-1);
      std::string line = name;
      char value[64];
      for (int64_t i = 0; i < flat.numel(); ++i) {
        std::snprintf(value, sizeof(value), " %a", flat[i].item<double>());
        line += value;
      }
      append_line(params_path_, line);
    }
  }

  void on_train_batch_start(const Batch& /*batch*/, int64_t /*batch_idx*/) override {
    backward_loss_ = std::nan("");
  }
  void on_before_backward(const torch::Tensor& loss) override {
    backward_loss_ = loss.detach().to(torch::kDouble).item<double>();
  }
  void on_train_batch_end(const torch::Tensor& outputs, const Batch& /*batch*/,
                          int64_t batch_idx) override {
    double out = outputs.defined() ? outputs.detach().to(torch::kDouble).item<double>()
                                   : std::nan("");
    char line[200];
    std::snprintf(line, sizeof(line), "%lld %lld %lld %a %a",
                  static_cast<long long>(current_epoch()), static_cast<long long>(batch_idx),
                  static_cast<long long>(global_step()), out, backward_loss_);
    append_line(path_, line);
  }

 private:
  std::string path_;
  std::string params_path_;
  double backward_loss_ = 0;
};

// Asks the trainer to stop on one rank only (rank -1: on every rank), as an early-stopping
// callback fed rank-local metrics could, or raises a signal there once (SIGUSR1, SIGTERM), as a
// scheduler that reaches one process first would: every rank must still act at the same step.
class RankStopper : public Callback {
 public:
  static PluginInfo info() {
    return {"rank_stopper", "1.0.0",
            "Test callback: request_stop, or raise a signal, on one rank at a given step",
            R"json({"type": "object", "additionalProperties": false, "required": ["rank", "step"],
              "properties": {"rank": {"type": "integer"}, "step": {"type": "integer"},
                             "signal": {"enum": ["none", "SIGUSR1", "SIGTERM"], "default": "none"}}})json"};
  }
  explicit RankStopper(const nlohmann::json& config)
      : rank_(config.at("rank").get<int32_t>()), step_(config.at("step").get<int64_t>()) {
    std::string s = config.value("signal", std::string("none"));
    signal_ = s == "SIGUSR1" ? SIGUSR1 : s == "SIGTERM" ? SIGTERM : 0;
  }

  void on_train_batch_end(const torch::Tensor& /*outputs*/, const Batch& /*batch*/,
                          int64_t /*batch_idx*/) override {
    if ((rank_ >= 0 && global_rank() != rank_) || global_step() < step_ || context() == nullptr)
      return;
    if (signal_ == 0) {
      volt::detail::host().request_stop(context(), "rank_stopper");
    } else if (!raised_) {
      raised_ = true;
      std::raise(signal_);
    }
  }

 private:
  int32_t rank_;
  int64_t step_;
  int signal_ = 0;
  bool raised_ = false;
};

// Prints the LibTorch thread counts the process trains with, as LibTorch reports them:
//   "thread_probe: rank R intra-op N inter-op M" on stderr, once at fit start.
class ThreadProbe : public Callback {
 public:
  static PluginInfo info() {
    return {"thread_probe", "1.0.0", "Test callback: prints LibTorch's thread counts at fit start",
            R"json({"type": "object", "additionalProperties": false, "properties": {}})json"};
  }
  explicit ThreadProbe(const nlohmann::json& /*config*/) {}
  void on_fit_start() override {
    std::fprintf(stderr, "thread_probe: rank %lld intra-op %d inter-op %d\n",
                 static_cast<long long>(global_rank()), at::get_num_threads(),
                 at::get_num_interop_threads());
  }
};

// Collectives and log() from a callback (ABI 1.8): at each training epoch end every rank
// contributes [rank + 1, 10 * (rank + 1) + epoch], and prints on stdout what it got back:
//   "collectives_probe: rank R epoch E gathered a,b;c,d sum s,t from1 u,v"
// and logs probe_value = rank + 1 with sync_dist (mean over ranks) and probe_rank (no sync).
class CollectivesProbe : public Callback {
 public:
  static PluginInfo info() {
    return {"collectives_probe", "1.0.0", "Test callback: all_gather, reduce, broadcast and log across ranks",
            R"json({"type": "object", "additionalProperties": false, "properties": {}})json"};
  }
  explicit CollectivesProbe(const nlohmann::json& /*config*/) {}
  void on_train_epoch_end() override {
    int32_t rank = global_rank();
    double r = rank + 1;
    torch::Tensor mine = torch::tensor({r, 10 * r + static_cast<double>(current_epoch())}, torch::kDouble);
    torch::Tensor gathered = all_gather(mine).to(torch::kCPU);
    torch::Tensor sum = reduce(mine, Reduce::Sum).to(torch::kCPU);
    torch::Tensor from1 = broadcast(mine, world_size() > 1 ? 1 : 0).to(torch::kCPU);
    barrier("collectives_probe");
    std::string line = "collectives_probe: rank " + std::to_string(rank) + " epoch " +
                       std::to_string(current_epoch()) + " gathered ";
    for (int64_t i = 0; i < gathered.size(0); ++i)
      line += (i > 0 ? ";" : "") + number(gathered[i][0]) + "," + number(gathered[i][1]);
    line += " sum " + number(sum[0]) + "," + number(sum[1]) + " from1 " + number(from1[0]) + "," +
            number(from1[1]);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    log("probe_value", r, LogOptions().sync_dist(true));
    log("probe_rank", r);
  }

 private:
  static std::string number(const torch::Tensor& t) { return std::to_string(std::lround(t.item<double>())); }
};

// A strategy that claims several processes (from the cluster the host detected) but keeps
// the single-process collectives: the host must refuse it.
class LoneRanksStrategy : public Strategy {
 public:
  static PluginInfo info() {
    return {"lone_ranks", "1.0.0", "Test strategy: several processes, no collectives",
            R"json({"type": "object", "additionalProperties": false, "x-volt-launcher": "subprocess",
                    "properties": {}})json"};
  }
  explicit LoneRanksStrategy(const nlohmann::json& /*config*/) {}
  StrategyInfo setup_environment() override {
    StrategyInfo i;
    i.global_rank = cluster().global_rank;
    i.local_rank = cluster().local_rank;
    i.world_size = cluster().world_size;
    return i;
  }
  void batch_to_device(Batch& /*batch*/) override {}
};

}  // namespace volt::test_plugins

namespace volt::test_plugins {

// A logger whose finalize fails as a full disk would make the csv logger's (issue 25): the run
// must fail instead of reporting success.
class FailingLogger : public Logger {
 public:
  static PluginInfo info() {
    return {"failing_logger", "1.0.0", "Test logger whose finalize fails",
            R"json({"type": "object", "additionalProperties": false, "properties": {}})json"};
  }
  explicit FailingLogger(const nlohmann::json&) {}
  void log_metrics(const MetricRow&, int64_t) override {}
  void finalize(const std::string& status) override {
    throw Error(VOLT_ERROR_DATA_LOSS, "cannot write metrics (status " + status + "): No space left on device");
  }
};

}  // namespace volt::test_plugins

VOLT_PLUGINS(volt::test_plugins::FailingLogger, volt::test_plugins::RecordingModule, volt::test_plugins::RecordingCallback,
             volt::test_plugins::RecordingMonitor, volt::test_plugins::LossRecorder,
             volt::test_plugins::RankStopper, volt::test_plugins::DtypeProbe,
             volt::test_plugins::ThreadProbe, volt::test_plugins::CollectivesProbe,
             volt::test_plugins::LoneRanksStrategy, volt::test_plugins::OverrideModule)
