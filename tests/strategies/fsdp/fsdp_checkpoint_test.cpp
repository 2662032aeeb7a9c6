// A full fsdp checkpoint resumes on a single device and a single-device checkpoint resumes
// under fsdp (issue 8): the checkpoint holds the whole model and the whole optimizer state
// once, under a single device's keys; each rank takes its slice of the optimizer state back.
#include "strategies/ddp/ddp_support.hpp"

#include <catch2/catch.hpp>

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

TEST_CASE("fsdp refuses a checkpoint layout it does not write", "[fsdp][e2e][checkpoint]") {
  TempDir tmp("fsdp-sharded-layout");
  ProcessResult r = run(fit_args(tmp / "root", 16, 1,
                                 {"--strategy=fsdp", "--strategy.state_dict_type=sharded"}),
                        tmp, "run");
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("state_dict_type") != std::string::npos);
  CHECK(r.err.find("full") != std::string::npos);
}

#endif  // VOLT_TEST_HAVE_FSDP
