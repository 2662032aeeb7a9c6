// Shared by the checkpoint tests: runs the real trainer in process (tests/support's harness)
// with ckpt_path, small mlp/synthetic configs, and the Python that checks interoperability.
#pragma once

#include "support/python.hpp"
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <cstdlib>
#include <optional>

namespace volt::checkpoint_test {

using namespace volt::trainer_test;  // NOLINT: TempDir, resolve, make_instance, FitResult...

// `volt fit` flags for an mlp 8 -> 16 -> 3 on 96 synthetic samples in batches of 16 (6 batches
// per epoch), shuffled per epoch, seeded, quiet; `root` is trainer.default_root_dir.
inline std::vector<std::string> small_fit(const std::string& root, const std::string& optimizer,
                                          int64_t epochs) {
  return {"--model=mlp", "--model.in_features=8", "--model.hidden_sizes=[16]",
          "--model.num_classes=3", "--model.optimizer=" + optimizer, "--model.lr=0.05",
          "--data=synthetic", "--data.shape=[8]", "--data.size=96", "--data.val_size=32",
          "--data.test_size=16", "--data.num_classes=3", "--data.batch_size=16",
          "--data.seed=7", "--trainer.max_epochs=" + std::to_string(epochs),
          "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
          "--trainer.default_root_dir=" + root, "--seed_everything=11", "--logger=false"};
}

inline std::vector<std::string> with(std::vector<std::string> flags,
                                     const std::vector<std::string>& more) {
  flags.insert(flags.end(), more.begin(), more.end());
  return flags;
}

struct Run {
  FitResult fit;
  std::string last_checkpoint;  // what the default checkpointing kept
};

// The harness's fit, with ckpt_path.
inline Run fit_with(const nlohmann::json& resolved, std::optional<std::string> ckpt_path = {}) {
  Run run;
  run.fit = fit(resolved, ckpt_path);
  run.last_checkpoint = run.fit.last_checkpoint;
  return run;
}

// Validate with ckpt_path; returns the module's parameters afterwards.
inline NamedTensors validate_with(const nlohmann::json& resolved, const std::string& ckpt_path) {
  host::TrainerComponents c;
  c.module = make_instance<volt_module>(VOLT_KIND_MODULE, resolved["model"]);
  c.data = make_instance<volt_datamodule>(VOLT_KIND_DATAMODULE, resolved["data"]);
  c.strategy = make_instance<volt_strategy>(VOLT_KIND_STRATEGY, resolved["strategy"]);
  c.precision = make_instance<volt_precision>(VOLT_KIND_PRECISION, resolved["precision"]);
  ModuleRef module(c.module.get());
  host::Trainer trainer(host::TrainerOptions::from_json(resolved["trainer"]), c);
  trainer.validate(ckpt_path);
  return clone_all(module.named_parameters());
}

inline bool all_equal(const NamedTensors& a, const NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || !torch::equal(a[i].second, b[i].second)) return false;
  return true;
}

using namespace volt::test_python;  // NOLINT: python(), run_python

}  // namespace volt::checkpoint_test
