// Two fsdp processes reach the parameters, and the optimizer state, that one process reaches
// on the union of their batches, for each sharding strategy (issue 8: relative difference at
// most 1e-5), with SGD and Adam, with and without accumulation and clipping.
#include "strategies/ddp/ddp_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#ifdef VOLT_TEST_HAVE_FSDP

using namespace volt::ddp_test;

namespace {

// Every tensor of the checkpoint's first optimizer state, by "<param index>/<key>".
std::map<std::string, at::Tensor> optimizer_tensors(const fs::path& ckpt) {
  volt::host::CheckpointFile file = volt::host::load_checkpoint_file(ckpt);
  const c10::IValue* states = file.find("optimizer_states");
  REQUIRE(states != nullptr);
  REQUIRE(states->toListRef().size() == 1);
  std::map<std::string, at::Tensor> out;
  auto state = states->toListRef()[0].toGenericDict().at("state").toGenericDict();
  for (const auto& param : state)
    for (const auto& e : param.value().toGenericDict())
      if (e.value().isTensor())
        out[std::to_string(param.key().toInt()) + "/" + e.key().toStringRef()] = e.value().toTensor();
  return out;
}

struct Outcome {
  std::map<std::string, at::Tensor> weights, optimizer;
};

Outcome outcome_of(const fs::path& root) {
  fs::path ckpt = only_checkpoint(root);
  return {weights(ckpt), optimizer_tensors(ckpt)};
}

// `extra` applies to both runs; the reference has batch 32 on one process, fsdp 16 on each
// of two.
Outcome run_fit(const TempDir& tmp, const std::string& tag, int64_t batch,
                const std::vector<std::string>& extra) {
  ProcessResult r = run(fit_args(tmp / tag / "root", batch, 2, extra), tmp, tag);
  INFO(tag << "\n" << describe(r));
  REQUIRE(r.exit_code == 0);
  return outcome_of(tmp / tag / "root");
}

}  // namespace

namespace {

// Every combination of optimizer (sgd, adam), accumulation (1, 2) and clipping by norm (off,
// 0.05) for one sharding strategy, wrapped alternately in two units and in one:
// min_num_params=100 makes two units of the mlp 8 -> 16 -> 3 (144 and 51 elements, the second
// padded to 52), 0 one unit of 195 (padded to 196). One case turns the overlap off.
void check_parity(const std::string& sharding) {
  TempDir tmp("fsdp-parity-" + sharding);
  int index = 0;
  for (const std::string optimizer : {"sgd", "adam"})
    for (const std::string accumulate : {"1", "2"})
      for (const std::string clip : {"", "0.05"}) {
        const std::string wrap = index % 2 == 0 ? "100" : "0";
        const bool overlap = index != 5;  // one case reduces everything after backward
        std::vector<std::string> common{"--model.optimizer=" + optimizer,
                                        "--trainer.accumulate_grad_batches=" + accumulate};
        if (!clip.empty()) common.push_back("--trainer.gradient_clip_val=" + clip);
        std::string tag = "case-" + std::to_string(index++);
        Outcome expected = run_fit(tmp, tag + "-reference", 32, common);

        std::vector<std::string> flags = common;
        for (const std::string& f : std::vector<std::string>{"--strategy=fsdp", "--trainer.devices=2",
                                                             "--strategy.sharding_strategy=" + sharding,
                                                             "--strategy.min_num_params=" + wrap,
                                                             "--strategy.overlap=" + std::string(overlap ? "true" : "false")})
          flags.push_back(f);
        ProcessResult r = run(fit_args(tmp / tag / "root", 16, 2, flags), tmp, tag);
        INFO(sharding << " " << optimizer << " accumulate=" << accumulate << " clip=" << clip
                      << " min_num_params=" << wrap << " overlap=" << overlap << "\n" << describe(r));
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("Launched 2 worker processes") != std::string::npos);
        std::string units = wrap == "100" ? "2 wrap units" : "1 wrap units";
        CHECK(r.out.find("fsdp: " + sharding + ", " + units + ", 195 parameter elements") !=
              std::string::npos);
        // Each unit's all-reduce starts from a gradient hook, while backward goes on (unless
        // overlap is off).
        std::string units_started = overlap ? (wrap == "100" ? "2" : "1") : "0";
        std::string hooked = units_started + " of " + (wrap == "100" ? "2" : "1");
        CHECK(r.out.find("fsdp: " + hooked + " wrap units started reducing their gradients inside backward") !=
              std::string::npos);
        Outcome got = outcome_of(tmp / tag / "root");
        // The checkpoint holds the whole model and the whole optimizer state, as on one device.
        CHECK(max_relative_difference(got.weights, expected.weights) <= 1e-5);
        CHECK(got.optimizer.size() == expected.optimizer.size());
        CHECK(max_relative_difference(got.optimizer, expected.optimizer) <= 1e-5);
      }
}

}  // namespace

TEST_CASE("fsdp FULL_SHARD on 2 processes matches one process on the union of the batches",
          "[fsdp][e2e]") {
  check_parity("FULL_SHARD");
}

TEST_CASE("fsdp SHARD_GRAD_OP on 2 processes matches one process on the union of the batches",
          "[fsdp][e2e]") {
  check_parity("SHARD_GRAD_OP");
}

TEST_CASE("fsdp NO_SHARD on 2 processes matches one process on the union of the batches",
          "[fsdp][e2e]") {
  check_parity("NO_SHARD");
}

TEST_CASE("fsdp wraps by submodule name", "[fsdp][e2e]") {
  TempDir tmp("fsdp-wrap-modules");
  Outcome expected = run_fit(tmp, "reference", 32, {});
  // layers.2 (51 elements) is its own unit; layers.0, outside it, makes the other (144).
  std::vector<std::string> flags{"--strategy=fsdp", "--trainer.devices=2", "--strategy.wrap_modules=[\"layers.2\"]"};
  ProcessResult r = run(fit_args(tmp / "fsdp/root", 16, 2, flags), tmp, "fsdp");
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("fsdp: FULL_SHARD, 2 wrap units, 195 parameter elements, 98 kept on this rank") !=
        std::string::npos);  // 144 / 2 + 52 / 2
  Outcome got = outcome_of(tmp / "fsdp/root");
  CHECK(max_relative_difference(got.weights, expected.weights) <= 1e-5);
  CHECK(max_relative_difference(got.optimizer, expected.optimizer) <= 1e-5);

  // A name that holds no parameter is refused, with the submodules there are.
  flags.back() = "--strategy.wrap_modules=[\"layers.1\"]";
  ProcessResult bad = run(fit_args(tmp / "bad/root", 16, 1, flags), tmp, "bad");
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.out + bad.err, Catch::Contains("wrap_modules names 'layers.1'") &&
                                    Catch::Contains("layers, layers.0, layers.2"));
}

TEST_CASE("fsdp keeps a slice of the model per rank between steps", "[fsdp][e2e]") {
  // 195 elements in one unit: 98 per rank with FULL_SHARD, all of them otherwise.
  TempDir tmp("fsdp-slices");
  for (const std::string& sharding : {"FULL_SHARD", "SHARD_GRAD_OP"}) {
    ProcessResult r = run(fit_args(tmp / sharding / "root", 16, 1,
                                   {"--strategy=fsdp", "--trainer.devices=2",
                                    "--strategy.sharding_strategy=" + sharding}),
                          tmp, sharding);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    std::string kept = sharding == "FULL_SHARD" ? "98" : "195";
    CHECK(r.out.find("195 parameter elements, " + kept + " kept on this rank") != std::string::npos);
  }
}

TEST_CASE("fsdp on one process is single-device training", "[fsdp][e2e]") {
  TempDir tmp("fsdp-one");
  Outcome expected = run_fit(tmp, "reference", 32, {});
  Outcome got = run_fit(tmp, "fsdp", 32, {"--strategy=fsdp", "--strategy.min_num_params=100"});
  CHECK(max_relative_difference(got.weights, expected.weights) <= 1e-6);
  CHECK(max_relative_difference(got.optimizer, expected.optimizer) <= 1e-6);
}


#ifdef VOLT_TEST_HAVE_DDP
TEST_CASE("under bf16-mixed fsdp gathers bfloat16 parameters and steps float32 masters as ddp does",
          "[fsdp][e2e][precision]") {
  // ddp under autocast rounds each float32 weight to bfloat16 inside the forward and brings
  // the bfloat16 gradient back to float32; fsdp gathers the bfloat16 values, accumulates the
  // same bfloat16 gradients and reduces them in float32. Both step Adam on float32 values.
  TempDir tmp("fsdp-bf16");
  const std::vector<std::string> mixed{"--precision=bf16-mixed", "--trainer.devices=2"};
  std::vector<std::string> ddp = mixed;
  ddp.push_back("--strategy=ddp");
  Outcome expected = run_fit(tmp, "ddp", 16, ddp);
  for (const std::string& sharding : {"FULL_SHARD", "SHARD_GRAD_OP", "NO_SHARD"}) {
    std::vector<std::string> flags = mixed;
    flags.push_back("--strategy=fsdp");
    flags.push_back("--strategy.sharding_strategy=" + sharding);
    flags.push_back("--strategy.min_num_params=100");
    ProcessResult r = run(fit_args(tmp / sharding / "root", 16, 2, flags), tmp, sharding);
    INFO(sharding << "\n" << describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("fsdp: parameters gathered in BFloat16 (the precision's autocast dtype), "
                     "optimizer steps on Float master values") != std::string::npos);
    Outcome got = outcome_of(tmp / sharding / "root");
    for (const auto& [name, w] : got.weights) CHECK(w.scalar_type() == at::kFloat);
    CHECK(max_relative_difference(got.weights, expected.weights) <= 1e-5);
    CHECK(max_relative_difference(got.optimizer, expected.optimizer) <= 1e-5);
  }
  // What the module's training_step sees: bfloat16 parameters (under ddp, float32 ones that
  // autocast casts op by op).
  for (const std::string& sharding : {"FULL_SHARD", "SHARD_GRAD_OP"}) {
    fs::path seen = tmp / ("dtypes-" + sharding + ".txt");
    ProcessResult r = run({kVolt, "fit", "--plugin-dir=" + std::string(VOLT_TEST_EXTRA_PLUGIN_DIR),
                           "--model=dtype_probe", "--model.path=" + seen.string(), "--data=synthetic",
                           "--data.shape=[8]", "--data.size=64", "--data.val_size=0",
                           "--data.num_classes=3", "--data.batch_size=8", "--trainer.max_epochs=1",
                           "--trainer.enable_progress_bar=false", "--logger=false",
                           "--trainer.enable_checkpointing=false",
                           "--trainer.default_root_dir=" + (tmp / ("probe-" + sharding)).string(),
                           "--precision=bf16-mixed", "--strategy=fsdp", "--trainer.devices=2",
                           "--strategy.sharding_strategy=" + sharding},
                          tmp, "probe-" + sharding);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    std::ifstream in(seen);
    int lines = 0;
    for (std::string line; std::getline(in, line); ++lines)
      CHECK(line.find("activation=BFloat16 default=Float parameter=BFloat16") != std::string::npos);
    CHECK(lines == 2);  // one per rank
  }
}
#endif

#endif  // VOLT_TEST_HAVE_FSDP
