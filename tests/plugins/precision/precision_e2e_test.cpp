// Precision plugins through the real `volt` binary: the dtypes inside training_step, Lightning's
// precision names, the loss scaler's state in checkpoints, clipping of unscaled gradients, and
// bf16-mixed accuracy against 32-true on Fashion-MNIST.
#include "checkpoint/checkpoint_file.hpp"
#include "support/subprocess.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>

using namespace volt::trainer_test;  // NOLINT: TempDir, run_process, resolve

namespace {

const std::string kVolt = VOLT_TEST_VOLT_BINARY;

std::string describe(const ProcessResult& r) {
  return "exit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

ProcessResult run_volt(std::vector<std::string> args, const TempDir& tmp, const std::string& tag) {
  args.insert(args.begin(), kVolt);
  fs::path dir = tmp / tag;
  fs::create_directories(dir);
  return run_process(args, dir, dir);
}

// mlp 8 -> [16] -> 3 on 128 synthetic samples, batch 16 (8 steps per epoch), Adam.
std::vector<std::string> mlp_fit(const fs::path& root, const std::vector<std::string>& extra) {
  std::vector<std::string> args{
      "fit", "--model=mlp", "--model.in_features=8", "--model.hidden_sizes=[16]",
      "--model.num_classes=3", "--model.optimizer=adam", "--model.lr=0.05", "--data=synthetic",
      "--data.shape=[8]", "--data.size=128", "--data.val_size=32", "--data.num_classes=3",
      "--data.batch_size=16", "--data.seed=7", "--trainer.enable_progress_bar=false",
      "--trainer.enable_model_summary=false", "--trainer.default_root_dir=" + root.string(),
      "--seed_everything=5", "--logger=false"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

fs::path only_checkpoint(const fs::path& root) {
  std::vector<fs::path> found;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().extension() == ".ckpt") found.push_back(e.path());
  REQUIRE(found.size() == 1);
  return found.front();
}

std::map<std::string, at::Tensor> weights(const fs::path& ckpt) {
  std::map<std::string, at::Tensor> out;
  for (const auto& kv : volt::host::load_checkpoint_file(ckpt).state_dict())
    out[kv.key().toStringRef()] = kv.value().toTensor();
  return out;
}

double max_abs_difference(const std::map<std::string, at::Tensor>& a,
                          const std::map<std::string, at::Tensor>& b) {
  double worst = 0;
  for (const auto& [name, t] : a) worst = std::max(worst, (t - b.at(name)).abs().max().item<double>());
  return worst;
}

}  // namespace

TEST_CASE("inside training_step the activations and parameters have each precision's dtypes",
          "[precision][e2e]") {
  TempDir tmp("precision-dtypes");
  struct Case {
    const char* precision;
    const char* expected;  // input, activation, default, parameter
  };
  const Case cases[] = {
      {"32-true", "input=Float activation=Float default=Float parameter=Float"},
      {"64-true", "input=Double activation=Double default=Double parameter=Double"},
      {"bf16-true", "input=BFloat16 activation=BFloat16 default=BFloat16 parameter=BFloat16"},
      {"16-true", "input=Half activation=Half default=Half parameter=Half"},
      {"bf16-mixed", "input=Float activation=BFloat16 default=Float parameter=Float"},
      // On CPU 16-mixed runs as bf16-mixed (LibTorch has no float16 autocast there).
      {"16-mixed", "input=Float activation=BFloat16 default=Float parameter=Float"},
  };
  for (const Case& c : cases) {
    std::string tag = c.precision;
    fs::path record = tmp / (tag + ".txt");
    ProcessResult r = run_volt({"fit", "--plugin-dir=" + extra_plugin_dir().string(), "--model=dtype_probe",
                            "--model.path=" + record.string(), "--data=synthetic", "--data.shape=[8]",
                            "--data.size=32", "--data.val_size=0", "--data.num_classes=3",
                            "--data.batch_size=16", "--trainer.max_epochs=1",
                            "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
                            "--trainer.enable_checkpointing=false", "--logger=false",
                            "--precision=" + tag},
                           tmp, tag);
    INFO(tag << ": " << describe(r));
    if (tag == "16-true" && r.exit_code != 0 &&
        (r.out + r.err).find("not implemented for 'Half'") != std::string::npos) {
      WARN("16-true skipped: this LibTorch has no float16 kernels on CPU");
      continue;
    }
    REQUIRE(r.exit_code == 0);
    std::ifstream in(record);
    std::string line;
    std::getline(in, line);
    CHECK(line == c.expected);
  }
}

TEST_CASE("Lightning's precision names resolve, anything else lists the accepted values",
          "[precision][config]") {
  auto precision_of = [](const std::string& flag) {
    std::vector<std::string> flags{"--model=mlp", "--data=synthetic"};
    if (!flag.empty()) flags.push_back(flag);
    return resolve(flags)["precision"]["id"].get<std::string>();
  };
  CHECK(precision_of("--precision=16") == "16-mixed");
  CHECK(precision_of("--precision=bf16") == "bf16-mixed");
  CHECK(precision_of("--precision=32") == "32-true");
  CHECK(precision_of("--precision=64") == "64-true");
  CHECK(precision_of("--precision=bf16-true") == "bf16-true");
  CHECK(precision_of("") == "32-true");
  try {
    precision_of("--precision=8-bit");
    FAIL("8-bit was accepted");
  } catch (const std::exception& e) {
    std::string m = e.what();
    for (const char* id : {"16-mixed", "16-true", "32-true", "64-true", "bf16-mixed", "bf16-true"})
      CHECK(m.find(id) != std::string::npos);
    CHECK(m.find("'8-bit'") != std::string::npos);
  }
}

TEST_CASE("the loss scaler's state goes into the checkpoint and comes back on resume",
          "[precision][e2e][checkpoint]") {
  TempDir tmp("precision-scaler");
  // growth_interval 3: after 8 finite steps the scale doubled twice, the tracker is at 2.
  const std::vector<std::string> scaler{"--precision=16-mixed", "--precision.scaler=true",
                                        "--precision.growth_interval=3"};
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  ProcessResult first = run_volt(with(mlp_fit(tmp / "first", {"--trainer.max_epochs=1"}), scaler), tmp, "first-run");
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  fs::path ckpt = only_checkpoint(tmp / "first");
  volt::host::CheckpointFile file = volt::host::load_checkpoint_file(ckpt);
  const c10::IValue* state = file.find("MixedPrecision");
  REQUIRE(state != nullptr);
  auto dict = state->toGenericDict();
  CHECK(dict.at("scale").toDouble() == 65536.0 * 4);
  CHECK(dict.at("_growth_tracker").toInt() == 2);
  CHECK(dict.at("growth_interval").toInt() == 3);

  // Resumed for a second epoch: 8 more finite steps from tracker 2 reach 10, which is three
  // more growths (at 3, 6 and 9) and tracker 1.
  ProcessResult second = run_volt(with(mlp_fit(tmp / "second", {"--trainer.max_epochs=2",
                                                            "--ckpt_path=" + ckpt.string()}),
                                   scaler),
                              tmp, "second-run");
  INFO(describe(second));
  REQUIRE(second.exit_code == 0);
  auto resumed = volt::host::load_checkpoint_file(only_checkpoint(tmp / "second"))
                     .find("MixedPrecision")->toGenericDict();
  CHECK(resumed.at("scale").toDouble() == 65536.0 * 4 * 8);
  CHECK(resumed.at("_growth_tracker").toInt() == 1);

  // Without a scaler (bf16-mixed) there is no state and no key, as in Lightning.
  ProcessResult plain = run_volt(mlp_fit(tmp / "plain", {"--trainer.max_epochs=1", "--precision=bf16-mixed"}),
                             tmp, "plain-run");
  REQUIRE(plain.exit_code == 0);
  CHECK(volt::host::load_checkpoint_file(only_checkpoint(tmp / "plain")).find("MixedPrecision") == nullptr);
}

TEST_CASE("gradient clipping with 16-mixed clips the unscaled gradients", "[precision][e2e]") {
  TempDir tmp("precision-clip");
  auto run = [&](const std::string& tag, std::vector<std::string> extra) {
    extra.push_back("--trainer.max_epochs=1");
    extra.push_back("--model.optimizer=sgd");  // Adam would hide the clipping (scale-invariant)
    ProcessResult r = run_volt(mlp_fit(tmp / tag, extra), tmp, tag + "-run");
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    return weights(only_checkpoint(tmp / tag));
  };
  // The scale is a power of two, so unscaling is exact: clipping the unscaled gradients gives
  // bit for bit what bf16-mixed without a scaler gives. Clipping scaled gradients would clip
  // 65536 times harder.
  auto scaled = run("scaled", {"--precision=16-mixed", "--precision.scaler=true",
                               "--trainer.gradient_clip_val=0.05"});
  auto unscaled = run("unscaled", {"--precision=bf16-mixed", "--trainer.gradient_clip_val=0.05"});
  auto unclipped = run("unclipped", {"--precision=bf16-mixed"});
  CHECK(max_abs_difference(scaled, unscaled) <= 1e-6);
  CHECK(max_abs_difference(unscaled, unclipped) > 1e-3);  // the clipping did act
}

TEST_CASE("bf16-mixed reaches 32-true's accuracy on Fashion-MNIST after the same steps",
          "[precision][e2e][accuracy]") {
  const fs::path data = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data / "t10k-images-idx3-ubyte.gz")) {
    WARN("skipped: Fashion-MNIST is not installed (apt install dataset-fashion-mnist)");
    return;
  }
  TempDir tmp("precision-accuracy");
  auto test_acc = [&](const std::string& precision) {
    ProcessResult r = run_volt({"fit", "--model=cnn", "--data=fashion_mnist", "--data.batch_size=64",
                            "--trainer.max_epochs=1", "--trainer.limit_train_batches=300",
                            "--trainer.limit_val_batches=0", "--trainer.num_sanity_val_steps=0",
                            "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
                            "--trainer.enable_checkpointing=false", "--seed_everything=3",
                            "--trainer.default_root_dir=" + (tmp / precision).string(),
                            "--precision=" + precision, "--test-after-fit"},
                           tmp, precision + "-run");
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, std::regex(R"(test_acc\s+([0-9.]+))")));
    return std::stod(m[1]);
  };
  double full = test_acc("32-true");
  double mixed = test_acc("bf16-mixed");
  INFO("32-true test_acc " << full << ", bf16-mixed test_acc " << mixed);
  CHECK(full > 0.75);  // it did learn
  CHECK(std::fabs(mixed - full) <= 0.01);
}

TEST_CASE("a step with NaN gradients is skipped and the scale backs off, on every rank",
          "[precision][e2e][scaler]") {
  TempDir tmp("precision-nan");
  // 8 steps; batch 2's loss is NaN: that step is skipped (the weights stay finite), the scale
  // halves, and the 5 finite steps after it count towards growth.
  auto probe = [&](const std::string& tag, const std::vector<std::string>& extra) {
    std::vector<std::string> args{"fit", "--plugin-dir=" + extra_plugin_dir().string(),
                                  "--model=dtype_probe", "--model.path=" + (tmp / (tag + ".txt")).string(),
                                  "--model.nan_at_batch=2", "--data=synthetic", "--data.shape=[8]",
                                  "--data.size=128", "--data.val_size=0", "--data.num_classes=3",
                                  "--trainer.max_epochs=1", "--trainer.enable_progress_bar=false",
                                  "--trainer.enable_model_summary=false", "--logger=false",
                                  "--trainer.default_root_dir=" + (tmp / tag).string(),
                                  "--precision=16-mixed", "--precision.scaler=true",
                                  "--precision.growth_interval=100"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = run_volt(args, tmp, tag + "-run");
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    volt::host::CheckpointFile ckpt = volt::host::load_checkpoint_file(only_checkpoint(tmp / tag));
    auto state = ckpt.find("MixedPrecision")->toGenericDict();
    CHECK(state.at("scale").toDouble() == 32768.0);
    CHECK(state.at("_growth_tracker").toInt() == 5);
    for (const auto& kv : ckpt.state_dict()) CHECK(torch::isfinite(kv.value().toTensor()).all().item<bool>());
  };
  probe("single", {"--data.batch_size=16"});
#ifdef VOLT_TEST_HAVE_DDP
  // Under ddp the NaN of rank 1 reaches rank 0 through the all-reduce: both skip that step.
  probe("ddp", {"--data.batch_size=8", "--strategy=ddp", "--trainer.devices=2", "--model.nan_on_rank=1"});
#endif
#ifdef VOLT_TEST_HAVE_FSDP
  // Under fsdp only the bias's gradient is NaN: the linear 8 -> 3 flattens to 27 elements, the
  // bias at 24..26, all in rank 1's slice (14..27). Rank 0's scaler sees finite gradients, yet
  // both skip, as one device does; with SHARD_GRAD_OP a lone skip would also leave the ranks'
  // next collectives unmatched.
  probe("single-bias", {"--data.batch_size=16", "--model.nan_in=bias"});
  for (const std::string& sharding : {"FULL_SHARD", "SHARD_GRAD_OP"})
    probe("fsdp-" + sharding, {"--data.batch_size=8", "--strategy=fsdp", "--trainer.devices=2",
                              "--strategy.sharding_strategy=" + sharding, "--model.nan_in=bias"});
#endif
}
