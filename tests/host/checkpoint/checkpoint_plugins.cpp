// Test-only plugins for tests/host/checkpoint (built into the test plugin folder):
//  - `step_checkpointer`: a callback that saves through host->save_checkpoint every N optimizer
//    steps at on_train_batch_end (as model_checkpoint's every_n_train_steps does), named
//    step={S}.ckpt, and keeps a counter of its saves as its checkpointed state.
//  - `signal_at_step`: raises a signal (SIGKILL, SIGTERM, SIGINT, SIGUSR1) in one hook of the
//    training step once global_step reaches a value: a crash or a scheduler's signal at an
//    exact point of the loop.
//  - `counting_precision`: 32-true that counts the optimizer steps it saw and keeps the count
//    (and a tensor) as its checkpointed state, under Lightning-style key "CountingPrecision".
#include <volt/sdk.hpp>

#include <csignal>

#include <filesystem>
#include <fstream>

namespace volt::checkpoint_test {

class StepCheckpointer : public Callback {
 public:
  static PluginInfo info() {
    return {"step_checkpointer", "1.0.0", "Test callback: host->save_checkpoint every N steps",
            R"json({"type": "object", "additionalProperties": false, "required": ["dirpath"],
              "properties": {"dirpath": {"type": "string"},
                             "every_n_train_steps": {"type": "integer", "minimum": 1, "default": 1},
                             "weights_only": {"type": "boolean", "default": false}}})json"};
  }

  explicit StepCheckpointer(const nlohmann::json& config)
      : dir_(config.at("dirpath").get<std::string>()),
        every_(config.at("every_n_train_steps").get<int64_t>()),
        weights_only_(config.at("weights_only").get<bool>()) {}

  void on_train_batch_end(const torch::Tensor&, const Batch&, int64_t) override {
    int64_t step = global_step();
    if (step == 0 || step % every_ != 0 || step == last_step_) return;
    ++saves_;  // counted before the save, so the file holds the count including itself
    last_step_ = step;
    std::string path = (std::filesystem::path(dir_) / ("step=" + std::to_string(step) + ".ckpt")).string();
    detail::check(detail::host().save_checkpoint(context(), path.c_str(), weights_only_),
                  "save_checkpoint");
  }

  nlohmann::json state_dict() const override {
    return {{"saves", saves_}, {"last_step", last_step_}};
  }
  void load_state_dict(const nlohmann::json& state) override {
    saves_ = state.at("saves").get<int64_t>();
    last_step_ = state.at("last_step").get<int64_t>();
    loaded_ = true;
  }
  void on_fit_end() override {
    // Makes the restored state observable to the test: a file listing what was loaded.
    if (!loaded_) return;
    std::ofstream(std::filesystem::path(dir_) / "loaded_state.txt") << saves_ << " " << last_step_;
  }

 private:
  std::string dir_;
  int64_t every_;
  bool weights_only_;
  int64_t saves_ = 0;
  int64_t last_step_ = 0;
  bool loaded_ = false;
};

class SignalAtStep : public Callback {
 public:
  static PluginInfo info() {
    return {"signal_at_step", "1.0.0", "Test callback: raise a signal at a given step and hook",
            R"json({"type": "object", "additionalProperties": false, "required": ["step"],
              "properties": {
                "step": {"type": "integer", "minimum": 0},
                "signal": {"enum": ["SIGKILL", "SIGTERM", "SIGINT", "SIGUSR1"], "default": "SIGKILL"},
                "hook": {"enum": ["on_train_batch_start", "on_before_optimizer_step",
                                  "on_train_batch_end", "on_validation_batch_end"],
                         "default": "on_train_batch_end"},
                "count": {"type": "integer", "minimum": 1, "default": 1,
                          "description": "raise it this many times in a row"}}})json"};
  }

  explicit SignalAtStep(const nlohmann::json& config)
      : step_(config.at("step").get<int64_t>()), hook_(config.at("hook").get<std::string>()),
        count_(config.at("count").get<int64_t>()) {
    std::string s = config.at("signal").get<std::string>();
    signal_ = s == "SIGKILL" ? SIGKILL : s == "SIGTERM" ? SIGTERM : s == "SIGINT" ? SIGINT : SIGUSR1;
  }

  void on_train_batch_start(const Batch&, int64_t) override { maybe("on_train_batch_start"); }
  void on_before_optimizer_step(int32_t) override { maybe("on_before_optimizer_step"); }
  void on_train_batch_end(const torch::Tensor&, const Batch&, int64_t) override {
    maybe("on_train_batch_end");
  }
  void on_validation_batch_end(const torch::Tensor&, const Batch&, int64_t) override {
    maybe("on_validation_batch_end");
  }

 private:
  void maybe(const char* hook) {
    if (fired_ || hook_ != hook || global_step() < step_) return;
    fired_ = true;
    for (int64_t i = 0; i < count_; ++i) std::raise(signal_);
  }

  int64_t step_;
  std::string hook_;
  int signal_;
  int64_t count_;
  bool fired_ = false;
};


class CountingPrecision : public PrecisionPlugin {
 public:
  static PluginInfo info() {
    return {"counting_precision", "1.0.0", "Test precision: 32-true with a step counter as state",
            R"json({"type": "object", "additionalProperties": false, "properties": {}})json"};
  }
  explicit CountingPrecision(const nlohmann::json&) {}

  std::string name() const override { return "32-true"; }
  void after_optimizer_step(OptimizerRef) override { ++steps_; }
  std::string state_key() const override { return "CountingPrecision"; }
  c10::IValue state_dict() const override {
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    if (steps_ == 0) return d;  // nothing to save yet: no key in the checkpoint
    d.insert("steps", steps_);
    d.insert("scale", torch::full({1}, 0.5 * static_cast<double>(steps_)));
    return d;
  }
  void load_state_dict(const c10::IValue& state) override {
    steps_ = state.toGenericDict().at("steps").toInt();
  }

 private:
  int64_t steps_ = 0;
};

}  // namespace volt::checkpoint_test

VOLT_PLUGINS(volt::checkpoint_test::StepCheckpointer, volt::checkpoint_test::SignalAtStep,
             volt::checkpoint_test::CountingPrecision)
