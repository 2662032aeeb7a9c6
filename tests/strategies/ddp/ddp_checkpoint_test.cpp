// A ddp checkpoint resumes on a single device and a single-device checkpoint resumes under
// ddp: the checkpoint holds the full model once, under the same keys (issue 4).
#include "strategies/ddp/ddp_support.hpp"

#include <catch2/catch.hpp>

#ifdef VOLT_TEST_HAVE_DDP

using namespace volt::ddp_test;

namespace {

const std::vector<std::string> kDdp{"--strategy=ddp", "--trainer.devices=2"};

}  // namespace

TEST_CASE("a ddp checkpoint resumes on a single device", "[ddp][e2e][checkpoint]") {
  TempDir tmp("ddp-to-single");
  auto expected = two_epochs_on_one_device(tmp);
  ProcessResult first = run(fit_args(tmp / "first/root", 16, 1, kDdp), tmp, "first");
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  std::string ckpt = only_checkpoint(tmp / "first/root").string();
  ProcessResult second =
      run(fit_args(tmp / "second/root", 32, 2, {"--ckpt_path=" + ckpt}), tmp, "second");
  INFO(describe(second));
  REQUIRE(second.exit_code == 0);
  CHECK(max_relative_difference(weights(only_checkpoint(tmp / "second/root")), expected) <= 1e-5);
}

TEST_CASE("a single-device checkpoint resumes under ddp", "[ddp][e2e][checkpoint]") {
  TempDir tmp("single-to-ddp");
  auto expected = two_epochs_on_one_device(tmp);
  ProcessResult first = run(fit_args(tmp / "first/root", 32, 1), tmp, "first");
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  std::string ckpt = only_checkpoint(tmp / "first/root").string();
  std::vector<std::string> flags = kDdp;
  flags.push_back("--ckpt_path=" + ckpt);
  ProcessResult second = run(fit_args(tmp / "second/root", 16, 2, flags), tmp, "second");
  INFO(describe(second));
  REQUIRE(second.exit_code == 0);
  CHECK(max_relative_difference(weights(only_checkpoint(tmp / "second/root")), expected) <= 1e-5);
}

#endif  // VOLT_TEST_HAVE_DDP
