// Lightning's configure_callbacks through the real `volt fit` (host/commands/model_callbacks):
// a callback the module returns replaces the configured callbacks of its type, the others stay,
// ModelCheckpoint (by its Lightning class name) runs, and a callback no plugin provides is an
// error naming the module and the id (Lightning's test_configure_callbacks_hook_multiple_calls
// and _attach_model_callbacks).
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

namespace volt::trainer_test {
namespace {

ProcessResult fit_override_module(const TempDir& tmp, const std::string& mode,
                                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {
      VOLT_TEST_VOLT_BINARY, "fit", "--plugin-dir=" + extra_plugin_dir().string(),
      "--model=override_module", "--model.mode=" + mode,
      "--model.log_path=" + (tmp / "model.txt").string(), "--data=synthetic",
      "--data.shape=[8]", "--data.num_classes=3", "--data.size=32", "--data.val_size=16",
      "--data.test_size=8", "--data.batch_size=16", "--trainer.max_epochs=1",
      "--trainer.enable_progress_bar=false", "--logger=false",
      "--trainer.default_root_dir=" + (tmp / "root").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_process(args, tmp.path(), tmp.path());
}

size_t count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.rfind(prefix, 0) == 0;
  }));
}

TEST_CASE("configure_callbacks replaces the configured callbacks of the same type",
          "[commands][hooks][configure_callbacks]") {
  TempDir tmp("model-callbacks");
  std::string trainer_log = (tmp / "trainer.txt").string();
  ProcessResult r = fit_override_module(
      tmp, "with_callbacks",
      {"--callbacks+=recording_callback", "--callbacks.log_path=" + trainer_log,
       "--callbacks+=recording_monitor", "--callbacks.log_path=" + trainer_log});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // The module's recording_callback ran in place of the configured one...
  auto model_lines = read_lines(tmp / "model.txt");
  CHECK(std::find(model_lines.begin(), model_lines.end(), "Model.on_fit_start") != model_lines.end());
  CHECK(count_prefix(model_lines, "Model.on_train_batch_start") == 2);
  auto trainer_lines = read_lines(trainer_log);
  CHECK(count_prefix(trainer_lines, "Callback.") == 0);
  // ...the configured callback of another type stayed...
  CHECK(count_prefix(trainer_lines, "Monitor.on_fit_start") == 1);
  // ...and ModelCheckpoint, asked for by its Lightning class name, saved where it was told.
  CHECK(fs::exists(tmp / "model.txt.ckpts" / "epoch=0-step=2.ckpt"));
  CHECK((r.out + r.err).find("will override existing callbacks passed to Trainer: recording_callback") !=
        std::string::npos);
}

TEST_CASE("configure_callbacks naming a callback no plugin provides is an error",
          "[commands][hooks][configure_callbacks]") {
  TempDir tmp("model-callbacks-unknown");
  ProcessResult r = fit_override_module(tmp, "unknown_callback");
  INFO(r.out << r.err);
  CHECK(r.exit_code != 0);
  CHECK((r.out + r.err).find("override_module") != std::string::npos);
  CHECK((r.out + r.err).find("configure_callbacks[0]: no loaded plugin provides the callback "
                   "'no_such_callback'") != std::string::npos);
}

}  // namespace
}  // namespace volt::trainer_test
