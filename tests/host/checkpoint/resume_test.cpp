// fit with ckpt_path (host/trainer/connectors/checkpoint_restore.cpp) against uninterrupted runs: the same seed and
// data order, so a resumed run must end with bitwise equal parameters (torch::equal).
#include "checkpoint_support.hpp"

#include "checkpoint/checkpoint_file.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

namespace volt::checkpoint_test {
namespace {

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("fit resumed from an end-of-epoch checkpoint equals an uninterrupted fit",
          "[checkpoint][resume]") {
  for (std::string optimizer : {"sgd", "adam"}) {
    INFO("optimizer " << optimizer);
    TempDir full_root("resume-full"), part_root("resume-part");
    Run full = fit_with(resolve(small_fit(full_root.str(), optimizer, 3)));
    CHECK(full.fit.global_step == 18);
    // Lightning's default checkpoint: epoch=E-step=S.ckpt, only the latest kept.
    CHECK(files_in(full_root / "checkpoints") == std::vector<std::string>{"epoch=2-step=18.ckpt"});
    CHECK(full.last_checkpoint == (full_root / "checkpoints" / "epoch=2-step=18.ckpt").string());

    Run first = fit_with(resolve(small_fit(part_root.str(), optimizer, 1)));
    fs::path ckpt = part_root / "checkpoints" / "epoch=0-step=6.ckpt";
    REQUIRE(fs::exists(ckpt));
    Run resumed = fit_with(resolve(small_fit(part_root.str(), optimizer, 3)), ckpt.string());
    CHECK(resumed.fit.global_step == 18);
    CHECK(resumed.fit.current_epoch == 3);
    CHECK(all_equal(resumed.fit.final_parameters, full.fit.final_parameters));
    CHECK_FALSE(all_equal(first.fit.final_parameters, full.fit.final_parameters));
    // The restored weights replaced the freshly initialised ones.
    CHECK(all_equal(resumed.fit.initial_parameters, full.fit.initial_parameters));
  }
}

TEST_CASE("fit resumed mid-epoch from a callback's checkpoint equals an uninterrupted fit",
          "[checkpoint][resume]") {
  for (int64_t accumulate : {1, 2}) {
    INFO("accumulate_grad_batches " << accumulate);
    TempDir root("resume-mid");
    fs::path saves = root / "saves";
    int64_t every = accumulate == 1 ? 4 : 2;  // both land inside an epoch
    auto flags = with(small_fit(root.str(), "adam", 2),
                      {"--trainer.accumulate_grad_batches=" + std::to_string(accumulate),
                       "--trainer.enable_checkpointing=false", "--callbacks+=step_checkpointer",
                       "--callbacks.dirpath=" + saves.string(),
                       "--callbacks.every_n_train_steps=" + std::to_string(every)});
    Run full = fit_with(resolve(flags));
    std::vector<std::string> written = files_in(saves);  // step=S.ckpt, every `every` steps
    REQUIRE(written.size() >= 2);
    CHECK_FALSE(fs::exists(root / "checkpoints"));  // enable_checkpointing=false
    for (const std::string& name : written) {
      INFO("resuming from " << name);
      TempDir copy_dir("resume-mid-copy");
      fs::copy_file(saves / name, copy_dir / name);
      Run resumed = fit_with(resolve(flags), (copy_dir / name).string());
      CHECK(resumed.fit.global_step == full.fit.global_step);
      CHECK(all_equal(resumed.fit.final_parameters, full.fit.final_parameters));
      // The callback's state came back from the checkpoint and went on counting: it ends
      // with as many saves as the uninterrupted run.
      CHECK(read_file(saves / "loaded_state.txt") ==
            std::to_string(written.size()) + " " + std::to_string(full.fit.global_step));
    }
  }
}

TEST_CASE("ckpt_path=last resumes from the newest checkpoint, or trains from scratch",
          "[checkpoint][resume]") {
  TempDir root("resume-last"), reference("resume-last-ref");
  Run none = fit_with(resolve(small_fit(root.str(), "sgd", 1)), std::string("last"));
  CHECK(none.fit.global_step == 6);  // nothing to resume: a warning, then a normal fit
  Run resumed = fit_with(resolve(small_fit(root.str(), "sgd", 2)), std::string("last"));
  CHECK(resumed.fit.global_step == 12);
  Run full = fit_with(resolve(small_fit(reference.str(), "sgd", 2)));
  CHECK(all_equal(resumed.fit.final_parameters, full.fit.final_parameters));
}

TEST_CASE("the checkpoint folder follows the first logger", "[checkpoint]") {
  TempDir root("ckpt-logger");
  auto flags = small_fit(root.str(), "sgd", 2);
  flags.back() = "--logger=csv";
  Run run = fit_with(resolve(flags));
  REQUIRE_FALSE(run.fit.log_dir.empty());
  CHECK(files_in(fs::path(run.fit.log_dir) / "checkpoints") ==
        std::vector<std::string>{"epoch=1-step=12.ckpt"});
  CHECK_FALSE(fs::exists(root / "checkpoints"));
}

TEST_CASE("resume errors: weights-only checkpoints, too many epochs, missing files",
          "[checkpoint][resume]") {
  TempDir root("resume-errors");
  fs::path saves = root / "saves";
  fit_with(resolve(with(small_fit(root.str(), "sgd", 2),
                        {"--callbacks+=step_checkpointer", "--callbacks.dirpath=" + saves.string(),
                         "--callbacks.every_n_train_steps=6", "--callbacks.weights_only=true"})));
  fs::path weights = saves / "step=6.ckpt";
  REQUIRE(fs::exists(weights));
  CHECK_THROWS_WITH(fit_with(resolve(small_fit(root.str(), "sgd", 2)), weights.string()),
                    Catch::Contains("weights_only") && Catch::Contains(weights.string()));
  // The same file initialises the weights of other stages.
  NamedTensors loaded = validate_with(resolve(small_fit(root.str(), "sgd", 2)), weights.string());
  host::CheckpointFile file = host::load_checkpoint_file(weights);
  CHECK(torch::equal(loaded.front().second,
                     file.state_dict().at(std::string("layers.0.weight")).toTensor()));

  fs::path full = root / "checkpoints" / "epoch=1-step=12.ckpt";
  REQUIRE(fs::exists(full));
  CHECK_THROWS_WITH(fit_with(resolve(small_fit(root.str(), "sgd", 0)), full.string()),
                    Catch::Contains("max_epochs=0"));
  // An SGD checkpoint resumed with Adam: the file, the optimizer and what the state holds.
  CHECK_THROWS_WITH(fit_with(resolve(small_fit(root.str(), "adam", 3)), full.string()),
                    Catch::Contains(full.string()) && Catch::Contains("optimizer 0") &&
                        Catch::Contains("missing 'exp_avg'") && Catch::Contains("'momentum_buffer'") &&
                        Catch::Contains("as SGD writes it") && Catch::Contains("saved with another optimizer"));
  CHECK_THROWS_WITH(fit_with(resolve(small_fit(root.str(), "sgd", 1)), (root / "nope.ckpt").string()),
                    Catch::Contains("not found") && Catch::Contains("nope.ckpt"));
}


// Lightning: checkpoint[type(precision_plugin).__qualname__] = precision_plugin.state_dict()
// when it is not empty, and restore_precision_plugin_state loads it back before the loops.
TEST_CASE("the precision plugin's state is saved under its key and restored by a resume",
          "[checkpoint][resume][precision]") {
  TempDir root("resume-precision");
  const std::vector<std::string> counting = {"--precision=counting_precision"};
  fit_with(resolve(with(small_fit(root.str(), "sgd", 1), counting)));
  fs::path ckpt = root / "checkpoints" / "epoch=0-step=6.ckpt";
  REQUIRE(fs::exists(ckpt));
  host::CheckpointFile one = host::load_checkpoint_file(ckpt);
  const c10::IValue* state = one.find("CountingPrecision");
  REQUIRE(state != nullptr);
  CHECK(state->toGenericDict().at("steps").toInt() == 6);
  CHECK(state->toGenericDict().at("scale").toTensor().item<double>() == 3.0);

  // Resumed to 3 epochs, the count goes on from 6: a fresh plugin would end at 12.
  Run resumed = fit_with(resolve(with(small_fit(root.str(), "sgd", 3), counting)), ckpt.string());
  CHECK(resumed.fit.global_step == 18);
  host::CheckpointFile last =
      host::load_checkpoint_file(root / "checkpoints" / "epoch=2-step=18.ckpt");
  REQUIRE(last.find("CountingPrecision") != nullptr);
  CHECK(last.find("CountingPrecision")->toGenericDict().at("steps").toInt() == 18);

  // 32-true has no state: no precision key at all, as Lightning writes none for an empty one.
  TempDir plain_root("resume-precision-plain");
  fit_with(resolve(small_fit(plain_root.str(), "sgd", 1)));
  host::CheckpointFile plain =
      host::load_checkpoint_file(plain_root / "checkpoints" / "epoch=0-step=6.ckpt");
  CHECK(plain.find("CountingPrecision") == nullptr);
  CHECK(plain.find("PrecisionPlugin") == nullptr);
}

// Lightning steps an epoch's (non-plateau) schedulers with its last batch, before the
// end-of-epoch checkpoint: after epoch 0 the checkpoint holds last_epoch=1. A resume from it
// must then not step again, or the schedule shifts by an epoch.
TEST_CASE("end-of-epoch checkpoints hold the epoch's scheduler step, and a resume continues "
          "the schedule",
          "[checkpoint][resume][lr_scheduler]") {
  const std::vector<std::string> cosine = {"--model.lr_scheduler.name=cosine",
                                           "--model.lr_scheduler.T_max=3"};
  TempDir full_root("resume-sched-full"), part_root("resume-sched-part");
  Run full = fit_with(resolve(with(small_fit(full_root.str(), "sgd", 3), cosine)));

  fit_with(resolve(with(small_fit(part_root.str(), "sgd", 1), cosine)));
  fs::path ckpt = part_root / "checkpoints" / "epoch=0-step=6.ckpt";
  host::CheckpointFile saved = host::load_checkpoint_file(ckpt);
  const c10::IValue* schedulers = saved.find("lr_schedulers");
  REQUIRE(schedulers != nullptr);
  c10::impl::GenericDict state = schedulers->toList().get(0).toGenericDict();
  CHECK(state.at("last_epoch").toInt() == 1);
  // cos(pi/3) schedule: lr = 0.05 * (1 + cos(pi * 1 / 3)) / 2 after one step.
  CHECK(state.at("_last_lr").toList().get(0).toDouble() == Approx(0.0375));

  Run resumed = fit_with(resolve(with(small_fit(part_root.str(), "sgd", 3), cosine)), ckpt.string());
  CHECK(all_equal(resumed.fit.final_parameters, full.fit.final_parameters));
}

}  // namespace
}  // namespace volt::checkpoint_test
