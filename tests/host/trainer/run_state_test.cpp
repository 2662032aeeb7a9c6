// What on_exception sees of the trainer state (volt_trainer_state) after a hook threw: the
// "what is running now" state of the loops it unwound is put back (run_state.hpp's guards),
// so the sanity check, the validation loop's batch count and the failed hook do not linger.
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

namespace volt::trainer_test {
namespace {

// Runs fit with recording_callback failing in `fail_in`; returns the state line it recorded
// in on_exception.
std::string state_at_exception(const std::string& fail_in, int64_t sanity_steps) {
  TempDir tmp("state");
  std::string log = (tmp / "hooks.txt").string();
  std::vector<std::string> flags = {
      "--model=recording_module", "--model.in_features=4", "--model.num_classes=2",
      "--data=synthetic", "--data.shape=[4]", "--data.num_classes=2", "--data.size=64",
      "--data.val_size=32", "--data.batch_size=8", "--trainer.max_epochs=1",
      "--trainer.limit_train_batches=3", "--trainer.limit_val_batches=2",
      "--trainer.num_sanity_val_steps=" + std::to_string(sanity_steps),
      "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
      "--logger=false", "--trainer.enable_checkpointing=false", "--seed_everything=1",
      "--callbacks+=recording_callback", "--callbacks.log_path=" + log,
      "--callbacks.fail_in=" + fail_in};
  CHECK_THROWS_WITH(fit(resolve(flags)), Catch::Contains("failing in " + fail_in));
  for (const std::string& line : read_lines(log))
    if (line.rfind("Callback.state ", 0) == 0) return line;
  return "(no state recorded)";
}

TEST_CASE("on_exception after a failure in the sanity check sees the check ended",
          "[trainer][state]") {
  CHECK(state_at_exception("on_validation_batch_end", 2) ==
        "Callback.state hook=" + std::to_string(VOLT_HOOK_ON_EXCEPTION) +
            " sanity_checking=0 training=0 num_batches=-1");
}

TEST_CASE("on_exception after a failure in fit's validation sees the training epoch's batches",
          "[trainer][state]") {
  // The validation loop ran 2 batches inside an epoch of 3: the epoch's count is back.
  CHECK(state_at_exception("on_validation_batch_end", 0) ==
        "Callback.state hook=" + std::to_string(VOLT_HOOK_ON_EXCEPTION) +
            " sanity_checking=0 training=0 num_batches=3");
}

}  // namespace
}  // namespace volt::trainer_test
