// The loss scaler of 16-mixed (plugins/precision/grad_scaler.hpp) against PyTorch's GradScaler
// semantics: defaults, unscaling, skip and backoff on inf/NaN, growth after growth_interval
// finite steps, and the state_dict round trip.
#include "../../plugins/precision/grad_scaler.hpp"

#include <catch2/catch.hpp>

#include <limits>

using volt::plugins::GradScaler;
using volt::plugins::GradScalerOptions;

namespace {

// One parameter whose gradient is `grad`.
std::vector<torch::Tensor> param_with_grad(const torch::Tensor& grad) {
  torch::Tensor p = torch::zeros_like(grad).requires_grad_(true);
  p.mutable_grad() = grad.clone();
  return {p};
}

}  // namespace

TEST_CASE("the scaler starts with PyTorch's defaults and scales the loss", "[precision][scaler]") {
  GradScaler s;
  CHECK(s.scale_value() == 65536.0);
  CHECK(s.scale(torch::tensor(0.5)).item<double>() == 32768.0);
  auto state = s.state_dict().toGenericDict();
  CHECK(state.at("growth_factor").toDouble() == 2.0);
  CHECK(state.at("backoff_factor").toDouble() == 0.5);
  CHECK(state.at("growth_interval").toInt() == 2000);
  CHECK(state.at("_growth_tracker").toInt() == 0);
}

TEST_CASE("finite gradients are unscaled exactly and the step proceeds", "[precision][scaler]") {
  GradScaler s;
  auto params = param_with_grad(torch::tensor({65536.0f, -131072.0f, 3.0f}));
  CHECK(s.unscale(params));
  CHECK(torch::equal(params[0].grad(), torch::tensor({1.0f, -2.0f, 3.0f / 65536.0f})));
  s.update();
  CHECK(s.scale_value() == 65536.0);
  CHECK(s.growth_tracker() == 1);
}

TEST_CASE("an inf or NaN gradient skips the step and halves the scale", "[precision][scaler]") {
  for (float bad : {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    GradScaler s;
    auto finite = param_with_grad(torch::ones({2}));
    REQUIRE(s.unscale(finite));
    s.update();  // one finite step: the tracker counts it
    REQUIRE(s.growth_tracker() == 1);
    auto params = param_with_grad(torch::tensor({1.0f, bad}));
    CHECK_FALSE(s.unscale(params));  // the optimizer step must be skipped
    s.update();
    CHECK(s.scale_value() == 32768.0);
    CHECK(s.growth_tracker() == 0);  // reset, as PyTorch's _amp_update_scale_
  }
}

TEST_CASE("after growth_interval finite steps in a row the scale doubles", "[precision][scaler]") {
  GradScalerOptions o;
  o.growth_interval = 3;
  GradScaler s(o);
  for (int step = 1; step <= 7; ++step) {
    auto params = param_with_grad(torch::ones({4}));
    REQUIRE(s.unscale(params));
    s.update();
    // PyTorch: the tracker counts finite steps; at growth_interval the scale grows and the
    // tracker restarts.
    CHECK(s.scale_value() == 65536.0 * std::pow(2.0, step / 3));
    CHECK(s.growth_tracker() == step % 3);
  }
}

TEST_CASE("the scaler state round-trips", "[precision][scaler]") {
  GradScalerOptions o;
  o.growth_interval = 5;
  GradScaler a(o);
  auto bad = param_with_grad(torch::tensor({std::numeric_limits<float>::infinity()}));
  a.unscale(bad);
  a.update();
  auto good = param_with_grad(torch::ones({1}));
  a.unscale(good);
  a.update();
  GradScaler b;
  b.load_state_dict(a.state_dict());
  CHECK(b.scale_value() == 32768.0);
  CHECK(b.growth_tracker() == 1);
  CHECK(b.state_dict().toGenericDict().at("growth_interval").toInt() == 5);
}
