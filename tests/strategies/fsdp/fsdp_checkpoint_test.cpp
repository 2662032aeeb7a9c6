// A full fsdp checkpoint resumes on a single device and a single-device checkpoint resumes
// under fsdp (issue 8): the checkpoint holds the whole model and the whole optimizer state
// once, under a single device's keys; each rank takes its slice of the optimizer state back.
// A sharded one (state_dict_type=sharded) holds each rank's part in its own file, consolidates
// to the full one and resumes under fsdp and on one device.
#include "checkpoint/pickle_reader.hpp"
#include "checkpoint/sharded_checkpoint.hpp"
#include "strategies/ddp/ddp_support.hpp"
#include "support/python.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#ifdef VOLT_TEST_HAVE_FSDP

using namespace volt::ddp_test;

namespace {

std::vector<std::string> fsdp_flags(const std::string& sharding) {
  return {"--strategy=fsdp", "--trainer.devices=2", "--strategy.sharding_strategy=" + sharding,
          "--strategy.min_num_params=100"};
}

}  // namespace

TEST_CASE("a full fsdp checkpoint resumes on a single device", "[fsdp][e2e][checkpoint]") {
  TempDir tmp("fsdp-to-single");
  auto expected = two_epochs_on_one_device(tmp);
  for (const std::string& sharding : {"FULL_SHARD", "SHARD_GRAD_OP"}) {
    ProcessResult first = run(fit_args(tmp / sharding / "first/root", 16, 1, fsdp_flags(sharding)),
                              tmp, sharding + "/first");
    INFO(sharding << "\n" << describe(first));
    REQUIRE(first.exit_code == 0);
    std::string ckpt = only_checkpoint(tmp / sharding / "first/root").string();
    ProcessResult second = run(fit_args(tmp / sharding / "second/root", 32, 2, {"--ckpt_path=" + ckpt}),
                               tmp, sharding + "/second");
    INFO(describe(second));
    REQUIRE(second.exit_code == 0);
    CHECK(max_relative_difference(weights(only_checkpoint(tmp / sharding / "second/root")), expected) <= 1e-5);
  }
}

TEST_CASE("a single-device checkpoint resumes under fsdp", "[fsdp][e2e][checkpoint]") {
  TempDir tmp("single-to-fsdp");
  auto expected = two_epochs_on_one_device(tmp);
  ProcessResult first = run(fit_args(tmp / "first/root", 32, 1), tmp, "first");
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  std::string ckpt = only_checkpoint(tmp / "first/root").string();
  for (const std::string& sharding : {"FULL_SHARD", "SHARD_GRAD_OP"}) {
    std::vector<std::string> flags = fsdp_flags(sharding);
    flags.push_back("--ckpt_path=" + ckpt);
    ProcessResult second = run(fit_args(tmp / sharding / "root", 16, 2, flags), tmp, sharding);
    INFO(sharding << "\n" << describe(second));
    REQUIRE(second.exit_code == 0);
    CHECK(max_relative_difference(weights(only_checkpoint(tmp / sharding / "root")), expected) <= 1e-5);
  }
}

namespace {

// Every tensor of a checkpoint's optimizer states, by path ("0/state/1/exp_avg").
void collect_tensors(const c10::IValue& v, const std::string& at, std::map<std::string, at::Tensor>& out) {
  if (v.isTensor()) {
    out[at] = v.toTensor();
  } else if (v.isGenericDict()) {
    for (const auto& e : v.toGenericDict())
      collect_tensors(e.value(), at + "/" + (e.key().isString() ? e.key().toStringRef()
                                                                : std::to_string(e.key().toInt())),
                      out);
  } else if (v.isList()) {
    size_t i = 0;
    for (const c10::IValue e : v.toListRef()) collect_tensors(e, at + "/" + std::to_string(i++), out);
  }
}

constexpr const char* kRebuildInPython = R"py(
import json, os, torch
folder, consolidated = open("paths.txt").read().split("\n")[:2]
index = json.load(open(os.path.join(folder, "index.json")))
ranks = [torch.load(os.path.join(folder, name)) for name in index["shards"]]
def rebuild(entries):
    pieces = sorted(entries, key=lambda e: e["offset"])
    whole = torch.cat([p["volt_shard"] for p in pieces])
    return whole.view(pieces[0]["shape"])
full = torch.load(consolidated)
for name, tensor in full["state_dict"].items():
    assert torch.equal(rebuild([r["state_dict"][name] for r in ranks]), tensor), name
count = 0
for i, opt in enumerate(full["optimizer_states"]):
    for k, state in opt["state"].items():
        for key, value in state.items():
            if key == "step":
                continue
            assert torch.equal(rebuild([r["optimizer_states"][i]["state"][k][key] for r in ranks]), value)
            count += 1
assert ranks[0]["loops"] == full["loops"] and ranks[0]["epoch"] == full["epoch"]
print("rebuilt", len(full["state_dict"]), "parameters and", count, "optimizer tensors")
)py";

std::map<std::string, at::Tensor> optimizer_tensors(const fs::path& ckpt) {
  std::map<std::string, at::Tensor> out;
  collect_tensors(*volt::host::load_checkpoint_file(ckpt).find("optimizer_states"), "", out);
  return out;
}

}  // namespace

TEST_CASE("a sharded fsdp checkpoint holds each rank's part and consolidates to the full one",
          "[fsdp][e2e][checkpoint][sharded]") {
  TempDir tmp("fsdp-sharded");
  for (const std::string& sharding : {"FULL_SHARD", "SHARD_GRAD_OP"}) {
    INFO(sharding);
    std::vector<std::string> sharded_flags = fsdp_flags(sharding);
    sharded_flags.push_back("--strategy.state_dict_type=sharded");
    ProcessResult sharded = run(fit_args(tmp / sharding / "sharded/root", 16, 1, sharded_flags), tmp,
                                sharding + "/sharded");
    INFO(describe(sharded));
    REQUIRE(sharded.exit_code == 0);
    ProcessResult full = run(fit_args(tmp / sharding / "full/root", 16, 1, fsdp_flags(sharding)), tmp,
                             sharding + "/full");
    INFO(describe(full));
    REQUIRE(full.exit_code == 0);

    // A folder with the index and one file per rank, each an ordinary torch.save dict whose
    // parameters are pieces, each rank holding about half of them.
    fs::path dir = only_checkpoint(tmp / sharding / "sharded/root");
    REQUIRE(volt::host::is_sharded_checkpoint(dir));
    int64_t pieces = 0, whole = 0;
    std::vector<int64_t> held(2, 0);
    for (int rank = 0; rank < 2; ++rank) {
      fs::path file = dir / ("shard-" + std::to_string(rank) + "-of-2.ckpt");
      REQUIRE(fs::is_regular_file(file));
      auto sd = volt::host::read_torch_file(file).value.toGenericDict().at("state_dict").toGenericDict();
      for (const auto& e : sd) {
        REQUIRE(volt::host::is_shard_entry(e.value()));
        auto entry = e.value().toGenericDict();
        pieces += entry.at("volt_shard").toTensor().numel();
        held[rank] += entry.at("volt_shard").toTensor().numel();
        int64_t n = 1;
        for (const c10::IValue d : entry.at("shape").toListRef()) n *= d.toInt();
        whole += rank == 0 ? n : 0;
      }
    }
    CHECK(whole == 8 * 16 + 16 + 16 * 3 + 3);
    CHECK(pieces == whole);  // each element on exactly one rank
    CHECK(held[0] < whole);
    CHECK(held[1] < whole);

    // volt checkpoint consolidate: the same weights and optimizer state as the full layout.
    fs::path out = tmp / sharding / "consolidated.ckpt";
    ProcessResult tool = run({kVolt, "checkpoint", "consolidate", dir.string(), out.string()}, tmp,
                             sharding + "/consolidate");
    INFO(describe(tool));
    REQUIRE(tool.exit_code == 0);
    CHECK_THAT(tool.out, Catch::Contains("4 tensors in state_dict"));
    fs::path full_ckpt = only_checkpoint(tmp / sharding / "full/root");
    CHECK(max_relative_difference(weights(out), weights(full_ckpt)) <= 1e-6);
    auto got = optimizer_tensors(out), want = optimizer_tensors(full_ckpt);
    CHECK(got.size() == want.size());
    CHECK(got.size() >= 8);  // exp_avg and exp_avg_sq of 4 parameters
    CHECK(max_relative_difference(got, want) <= 1e-6);

    // An independent reader: Python's torch.load opens the shard files and, by the documented
    // rule alone (pieces concatenated in offset order), rebuilds what the tool wrote.
    REQUIRE_PYTHON_TORCH();
    TempDir py("fsdp-sharded-python");
    std::ofstream(py / "paths.txt") << dir.string() << "\n" << out.string();
    ProcessResult check = volt::test_python::run_python(kRebuildInPython, py);
    INFO(describe(check));
    CHECK(check.exit_code == 0);
    CHECK_THAT(check.out, Catch::Contains("rebuilt 4 parameters and"));
  }
}

TEST_CASE("a sharded fsdp checkpoint resumes under fsdp and on a single device",
          "[fsdp][e2e][checkpoint][sharded]") {
  TempDir tmp("fsdp-sharded-resume");
  auto expected = two_epochs_on_one_device(tmp);
  std::vector<std::string> flags = fsdp_flags("FULL_SHARD");
  flags.push_back("--strategy.state_dict_type=sharded");
  ProcessResult first = run(fit_args(tmp / "first/root", 16, 1, flags), tmp, "first");
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  std::string ckpt = only_checkpoint(tmp / "first/root").string();

  flags.push_back("--ckpt_path=" + ckpt);
  ProcessResult again = run(fit_args(tmp / "fsdp/root", 16, 2, flags), tmp, "fsdp");
  INFO(describe(again));
  REQUIRE(again.exit_code == 0);
  CHECK(max_relative_difference(weights(only_checkpoint(tmp / "fsdp/root")), expected) <= 1e-5);

  ProcessResult single = run(fit_args(tmp / "single/root", 32, 2, {"--ckpt_path=" + ckpt}), tmp, "single");
  INFO(describe(single));
  REQUIRE(single.exit_code == 0);
  CHECK(max_relative_difference(weights(only_checkpoint(tmp / "single/root")), expected) <= 1e-5);
}

TEST_CASE("volt checkpoint consolidate names a shard that is missing and writes nothing",
          "[fsdp][e2e][checkpoint][sharded]") {
  TempDir tmp("fsdp-sharded-bad");
  std::vector<std::string> flags = fsdp_flags("FULL_SHARD");
  flags.push_back("--strategy.state_dict_type=sharded");
  ProcessResult first = run(fit_args(tmp / "root", 16, 1, flags), tmp, "first");
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  fs::path dir = only_checkpoint(tmp / "root");
  fs::remove(dir / "shard-1-of-2.ckpt");
  fs::path out = tmp / "out.ckpt";
  ProcessResult tool = run({kVolt, "checkpoint", "consolidate", dir.string(), out.string()}, tmp, "tool");
  INFO(describe(tool));
  CHECK(tool.exit_code != 0);
  CHECK_THAT(tool.err, Catch::Contains("shard-1-of-2.ckpt") && Catch::Contains("missing"));
  CHECK_FALSE(fs::exists(out));
  ProcessResult not_sharded = run({kVolt, "checkpoint", "consolidate", (tmp / "root").string(), out.string()},
                                  tmp, "not-sharded");
  CHECK(not_sharded.exit_code != 0);
  CHECK_THAT(not_sharded.err, Catch::Contains("not a sharded checkpoint"));
}

#endif  // VOLT_TEST_HAVE_FSDP
