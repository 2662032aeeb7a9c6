// ema_weight_averaging run by the real trainer (in process), against runs that must match it
// exactly: decay 0 follows the weights, decay 1 freezes the average at the first step; the
// average is what validation sees; it is saved in checkpoints and a resumed run is exact.
#include "host/checkpoint/checkpoint_support.hpp"

#include "checkpoint/checkpoint_file.hpp"

#include <catch2/catch.hpp>

namespace volt::checkpoint_test {
namespace {

std::vector<std::string> ema(const std::string& decay) {
  return {"--callbacks+=ema_weight_averaging", "--callbacks.decay=" + decay};
}

TEST_CASE("ema_weight_averaging: decay 0 follows the weights, decay 1 keeps the first step's",
          "[callbacks][ema]") {
  TempDir a("ema-0"), b("ema-plain"), c("ema-1"), d("ema-one-step");
  Run plain = fit_with(resolve(small_fit(b.str(), "adam", 2)));
  Run follow = fit_with(resolve(with(small_fit(a.str(), "adam", 2), ema("0"))));
  CHECK(all_equal(follow.fit.final_parameters, plain.fit.final_parameters));

  // decay 1: the average is the weights after step 1, copied into the module at the end, and
  // used for validation: the same val_loss as a run of one step.
  Run frozen = fit_with(resolve(with(small_fit(c.str(), "adam", 2), ema("1"))));
  Run one = fit_with(resolve(with(small_fit(d.str(), "adam", 1), {"--trainer.limit_train_batches=1"})));
  CHECK(all_equal(frozen.fit.final_parameters, one.fit.final_parameters));
  REQUIRE(frozen.fit.callback_metrics.count("val_loss") == 1);
  CHECK(frozen.fit.callback_metrics.at("val_loss") == one.fit.callback_metrics.at("val_loss"));
  CHECK(plain.fit.callback_metrics.at("val_loss") != one.fit.callback_metrics.at("val_loss"));
}

TEST_CASE("ema_weight_averaging: the average is checkpointed and a resumed fit is exact",
          "[callbacks][ema]") {
  TempDir full_root("ema-full"), part_root("ema-part");
  Run full = fit_with(resolve(with(small_fit(full_root.str(), "adam", 2), ema("0.6"))));
  fit_with(resolve(with(small_fit(part_root.str(), "adam", 1), ema("0.6"))));
  fs::path ckpt = part_root / "checkpoints" / "epoch=0-step=6.ckpt";
  REQUIRE(fs::exists(ckpt));
  host::CheckpointFile file = host::load_checkpoint_file(ckpt);
  const auto& state = file.find("callbacks")->toGenericDict().at(std::string("EMAWeightAveraging")).toGenericDict();
  CHECK(state.at(std::string("n_averaged")).toInt() == 6);
  const auto& average = state.at(std::string("average")).toGenericDict();
  const auto weights = file.state_dict();
  CHECK(average.size() == weights.size());
  for (const auto& e : weights) {
    INFO(e.key().toStringRef());
    const at::Tensor& w = e.value().toTensor();
    const at::Tensor& avg = average.at(e.key()).toTensor();
    CHECK(avg.sizes() == w.sizes());
    CHECK_FALSE(torch::equal(avg, w));  // the average, not the weights
  }
  Run resumed = fit_with(resolve(with(small_fit(part_root.str(), "adam", 2), ema("0.6"))), ckpt.string());
  CHECK(all_equal(resumed.fit.final_parameters, full.fit.final_parameters));
  CHECK(resumed.fit.callback_metrics.at("val_loss") == full.fit.callback_metrics.at("val_loss"));
}

}  // namespace
}  // namespace volt::checkpoint_test
