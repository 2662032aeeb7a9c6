// The order in which fit calls the hooks of a LightningModule and its callbacks, against
// Lightning's tests/tests_pytorch/models/test_hooks.py::test_trainer_model_hook_system_fit
// (lightning.md section 2): max_epochs=1, 2 training and 2 validation batches, 2 sanity steps.
//
// The test plugins (tests/support/plugins/recording_plugins.cpp) append every hook they run to one
// file: the module its hook names (plus training_step, validation_step and
// configure_optimizers), callbacks "Callback.<hook>" (and "Monitor.<hook>" for a monitoring
// callback). Only the hooks Volt has are compared. Differences from Lightning's list, by design
// or missing in Volt:
//  - Lightning records a hook when it returns; plugins here record when a hook starts. For the
//    flat hook sequence this is the same order: training_step is recorded before
//    on_before_zero_grad in both (Lightning runs zero_grad and backward inside the optimizer
//    closure after training_step returned; Volt runs them after training_step directly).
//  - optimizer_step records when it returns, as in Lightning (the step runs inside it).
//  - Not compared: configure_callbacks (tests/host/commands/model_callbacks_test.cpp), and not
//    in Volt: the *_dataloader hooks on the module, clip_gradients and lr_scheduler_step as recorded hooks, Callback.state_dict, the
//    model.train(False) call record.
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

namespace volt::trainer_test {
namespace {

using Hooks = std::vector<std::string>;

struct Options {
  int64_t train_batches = 2;
  int64_t val_batches = 2;
  int64_t sanity_steps = 2;
  int64_t accumulate = 1;
  bool with_monitor = false;
};

Hooks run_recorded_fit(const Options& o) {
  TempDir tmp("hooks");
  std::string log = (tmp / "hooks.txt").string();
  std::vector<std::string> flags = {
      "--model=recording_module", "--model.log_path=" + log, "--model.in_features=4",
      "--model.num_classes=2", "--data=synthetic", "--data.shape=[4]", "--data.num_classes=2",
      "--data.size=64", "--data.val_size=32", "--data.test_size=8", "--data.batch_size=8",
      "--trainer.max_epochs=1",
      "--trainer.limit_train_batches=" + std::to_string(o.train_batches),
      "--trainer.limit_val_batches=" + std::to_string(o.val_batches),
      "--trainer.num_sanity_val_steps=" + std::to_string(o.sanity_steps),
      "--trainer.accumulate_grad_batches=" + std::to_string(o.accumulate),
      "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
      "--logger=false", "--seed_everything=1"};
  // The monitoring callback is listed first: the trainer must still run it after the others.
  if (o.with_monitor) {
    flags.push_back("--callbacks+=recording_monitor");
    flags.push_back("--callbacks.log_path=" + log);
  }
  flags.push_back("--callbacks+=recording_callback");
  flags.push_back("--callbacks.log_path=" + log);
  fit(resolve(flags));
  return read_lines(log);
}

// Builds the expected sequence: a shared hook runs on the callbacks (non-monitoring first,
// then monitoring), then on the module; on_train_epoch_end runs monitoring callbacks last.
class Expected {
 public:
  explicit Expected(bool with_monitor) : monitor_(with_monitor) {}

  Expected& both(const std::string& hook) {
    add("Callback." + hook);
    if (monitor_ && hook != "on_train_epoch_end") add("Monitor." + hook);
    add(hook);
    if (monitor_ && hook == "on_train_epoch_end") add("Monitor." + hook);
    return *this;
  }
  Expected& callbacks_only(const std::string& hook) {
    add("Callback." + hook);
    if (monitor_) add("Monitor." + hook);
    return *this;
  }
  Expected& add(const std::string& name) {
    hooks_.push_back(name);
    return *this;
  }

  // Lightning's _run_evaluation inside fit, for `batches` batches; `zero_grad` where it frees
  // the gradients first (a batch that stepped, not the sanity check).
  Expected& validation(int64_t batches, bool zero_grad = false) {
    if (zero_grad) add("on_validation_model_zero_grad");
    add("on_validation_model_eval");
    both("on_validation_start");
    both("on_validation_epoch_start");
    for (int64_t i = 0; i < batches; ++i) {
      transfer();
      both("on_validation_batch_start");
      add("validation_step");
      both("on_validation_batch_end");
    }
    both("on_validation_epoch_end");
    both("on_validation_end");
    add("on_validation_model_train");
    return *this;
  }

  // One automatic-optimization training batch (Lightning's _auto_train_batch).
  Expected& train_batch(bool zero_grad, bool optimizer_step) {
    transfer();
    both("on_train_batch_start");
    add("training_step");
    if (zero_grad) both("on_before_zero_grad").add("optimizer_zero_grad");
    both("on_before_backward");
    add("backward");
    both("on_after_backward");
    if (optimizer_step) {
      both("on_before_optimizer_step");
      add("configure_gradient_clipping");
      add("optimizer_step");
    }
    both("on_train_batch_end");
    return *this;
  }
  // Lightning's _apply_batch_transfer_handler, before every batch's start hooks.
  Expected& transfer() {
    return add("on_before_batch_transfer").add("transfer_batch_to_device").add("on_after_batch_transfer");
  }
  // prepare_data, setup, then configure_model (prepare_data and configure_model: module only).
  Expected& setup() {
    add("prepare_data");
    both("setup");
    return add("configure_model");
  }
  // The default ModelCheckpoint's save after on_train_epoch_end: callbacks, then the module.
  Expected& save_checkpoint() {
    callbacks_only("on_save_checkpoint");
    return add("on_save_checkpoint");
  }

  const Hooks& hooks() const { return hooks_; }

 private:
  bool monitor_;
  Hooks hooks_;
};

// Shows both sequences side by side from the first difference on, when they differ.
std::string describe_difference(const Hooks& actual, const Hooks& expected) {
  size_t first = 0;
  while (first < actual.size() && first < expected.size() && actual[first] == expected[first])
    ++first;
  std::ostringstream s;
  s << "first difference at index " << first << " (actual " << actual.size() << " hooks, expected "
    << expected.size() << ")\n";
  for (size_t i = first; i < std::max(actual.size(), expected.size()) && i < first + 12; ++i)
    s << "  [" << i << "] actual: " << (i < actual.size() ? actual[i] : "-")
      << "   expected: " << (i < expected.size() ? expected[i] : "-") << "\n";
  return s.str();
}

void check_sequence(const Hooks& actual, const Hooks& expected) {
  INFO(describe_difference(actual, expected));
  CHECK(actual == expected);
}

// Lightning's order for the fit in test_trainer_model_hook_system_fit, restricted to Volt's hooks.
Hooks lightning_fit_order(bool with_monitor) {
  Expected e(with_monitor);
  e.setup();
  e.add("configure_optimizers");
  e.both("on_fit_start");
  // sanity check: 2 validation batches
  e.callbacks_only("on_sanity_check_start");
  e.validation(2);
  e.callbacks_only("on_sanity_check_end");
  // training
  e.both("on_train_start");
  e.both("on_train_epoch_start");
  e.train_batch(true, true);
  e.train_batch(true, true);
  e.validation(2, true);  // end of the epoch: validation runs before on_train_epoch_end
  e.both("on_train_epoch_end");
  e.save_checkpoint();
  e.both("on_train_end");
  e.both("on_fit_end");
  e.both("teardown");
  return e.hooks();
}

TEST_CASE("fit calls the hooks in Lightning's order (test_trainer_model_hook_system_fit)",
          "[trainer][hooks]") {
  Options o;
  Hooks actual = run_recorded_fit(o);
  check_sequence(actual, lightning_fit_order(false));
}

TEST_CASE("monitoring callbacks run after the others, and after the module at "
          "on_train_epoch_end",
          "[trainer][hooks]") {
  Options o;
  o.with_monitor = true;
  Hooks actual = run_recorded_fit(o);
  check_sequence(actual, lightning_fit_order(true));
}

TEST_CASE("with accumulate_grad_batches=2, zero_grad starts a window and the optimizer steps "
          "at its end or at the end of the epoch",
          "[trainer][hooks]") {
  Options o;
  o.train_batches = 3;
  o.val_batches = 0;
  o.sanity_steps = 0;
  o.accumulate = 2;
  Hooks actual = run_recorded_fit(o);
  Expected e(false);
  e.setup();
  e.add("configure_optimizers");
  e.both("on_fit_start");
  e.both("on_train_start");
  e.both("on_train_epoch_start");
  e.train_batch(/*zero_grad=*/true, /*optimizer_step=*/false);
  e.train_batch(/*zero_grad=*/false, /*optimizer_step=*/true);
  e.train_batch(/*zero_grad=*/true, /*optimizer_step=*/true);  // last batch of the epoch
  e.both("on_train_epoch_end");
  e.save_checkpoint();
  e.both("on_train_end");
  e.both("on_fit_end");
  e.both("teardown");
  check_sequence(actual, e.hooks());
}

TEST_CASE("num_sanity_val_steps limits the sanity check, 0 skips it", "[trainer][hooks]") {
  Options o;
  o.train_batches = 1;
  o.val_batches = 3;
  SECTION("one sanity step, three validation batches at the end of the epoch") {
    o.sanity_steps = 1;
    Hooks actual = run_recorded_fit(o);
    Expected e(false);
    e.setup();
    e.add("configure_optimizers");
    e.both("on_fit_start");
    e.callbacks_only("on_sanity_check_start");
    e.validation(1);
    e.callbacks_only("on_sanity_check_end");
    e.both("on_train_start");
    e.both("on_train_epoch_start");
    e.train_batch(true, true);
    e.validation(3, true);
    e.both("on_train_epoch_end");
    e.save_checkpoint();
    e.both("on_train_end");
    e.both("on_fit_end");
    e.both("teardown");
    check_sequence(actual, e.hooks());
  }
  SECTION("no sanity check") {
    o.sanity_steps = 0;
    Hooks actual = run_recorded_fit(o);
    CHECK(std::count(actual.begin(), actual.end(), "Callback.on_sanity_check_start") == 0);
    CHECK(std::count(actual.begin(), actual.end(), "validation_step") == 3);
  }
}

// Lightning's test and predict loops switch the module with on_test_model_eval /
// on_predict_model_eval before their start hooks, and test switches back after on_test_end.
TEST_CASE("test and predict call the module's mode switches in Lightning's order",
          "[trainer][hooks]") {
  TempDir tmp("hooks-eval");
  std::string log = (tmp / "hooks.txt").string();
  std::string stage = GENERATE(as<std::string>{}, "test", "predict");
  ProcessResult r = run_process(
      {VOLT_TEST_VOLT_BINARY, stage, "--plugin-dir=" + extra_plugin_dir().string(),
       "--model=recording_module", "--model.log_path=" + log, "--model.in_features=4",
       "--data=synthetic", "--data.shape=[4]", "--data.num_classes=2", "--data.size=16",
       "--data.val_size=8", "--data.test_size=8", "--data.batch_size=8",
       "--trainer.enable_progress_bar=false", "--logger=false",
       "--trainer.default_root_dir=" + (tmp / "root").string()},
      tmp.path(), tmp.path());
  INFO(r.out + r.err);
  REQUIRE(r.exit_code == 0);
  Hooks expected = stage == "test"
                       ? Hooks{"prepare_data", "setup", "configure_model", "on_test_model_eval", "on_test_start",
                               "on_before_batch_transfer", "transfer_batch_to_device",
                               "on_after_batch_transfer", "test_step", "on_test_end",
                               "on_test_model_train", "teardown"}
                       : Hooks{"prepare_data", "setup", "configure_model", "on_predict_model_eval",
                               "on_before_batch_transfer", "transfer_batch_to_device",
                               "on_after_batch_transfer", "on_predict_batch_start",
                               "predict_step", "on_predict_batch_end", "teardown"};
  check_sequence(read_lines(log), expected);
}

}  // namespace
}  // namespace volt::trainer_test
