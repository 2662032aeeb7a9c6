// `16-mixed` and `bf16-mixed` (Lightning's MixedPrecision): parameters stay float32 (master
// weights); autocast covers the forward and step code only, not backward or the optimizer
// step. 16-mixed adds dynamic loss scaling (grad_scaler.hpp): the host calls
// before_optimizer_step, which unscales the gradients, before on_before_optimizer_step and
// before gradient clipping, so both see true magnitudes.
//
// On CPU, where LibTorch has no float16 autocast, 16-mixed warns and runs as bf16-mixed, as
// Lightning does.
#pragma once

#include "autocast.hpp"
#include "grad_scaler.hpp"

#include <volt/sdk.hpp>

#include <optional>

namespace volt::plugins {

class MixedPrecision : public PrecisionPlugin {
 public:
  MixedPrecision(const nlohmann::json& config, at::ScalarType dtype, std::string name)
      : dtype_(dtype), name_(std::move(name)) {
    const nlohmann::json& scaler = config.at("scaler");
    if (!scaler.is_null()) force_scaler_ = scaler.get<bool>();
    GradScalerOptions o;
    o.init_scale = config.at("init_scale").get<double>();
    o.growth_factor = config.at("growth_factor").get<double>();
    o.backoff_factor = config.at("backoff_factor").get<double>();
    o.growth_interval = config.at("growth_interval").get<int64_t>();
    scaler_options_ = o;
  }

  std::string name() const override { return name_; }
  std::string state_key() const override { return "MixedPrecision"; }

  // The module is on its device by now (the strategy placed it): autocast follows it.
  void convert_module(ModuleRef module) override {
    NamedTensors params = module.named_parameters();
    cuda_ = !params.empty() && params.front().second.is_cuda();
    if (dtype_ == at::kHalf && !cuda_) {
      log_warning("16-mixed: LibTorch has no float16 autocast on CPU; running as bf16-mixed "
                  "(as Lightning does)");
      dtype_ = at::kBFloat16;
    }
    // Loss scaling is what float16 needs; bfloat16 has float32's range.
    bool use_scaler = force_scaler_.value_or(dtype_ == at::kHalf);
    if (use_scaler && !scaler_) scaler_.emplace(scaler_options_);
    if (!use_scaler) scaler_.reset();
  }

  void forward_begin() override { autocast_.enter(cuda_, dtype_); }
  void forward_end() override { autocast_.exit(); }

  torch::Tensor pre_backward(const torch::Tensor& loss) override {
    return scaler_ ? scaler_->scale(loss) : loss;
  }
  bool before_optimizer_step(OptimizerRef optimizer) override {
    return scaler_ ? scaler_->unscale(optimizer.params()) : true;
  }
  void after_optimizer_step(OptimizerRef /*optimizer*/) override {
    if (scaler_) scaler_->update();
  }

  c10::IValue state_dict() const override {
    if (scaler_) return scaler_->state_dict();
    return PrecisionPlugin::state_dict();
  }
  void load_state_dict(const c10::IValue& state) override {
    if (!scaler_) scaler_.emplace(scaler_options_);  // restored before setup completes
    scaler_->load_state_dict(state);
  }

  // The schema both ids share; 16-mixed's defaults are PyTorch GradScaler's.
  static const char* schema() {
    return R"json({"type": "object", "additionalProperties": false, "properties": {
      "scaler": {"type": ["boolean", "null"], "default": null,
                 "description": "dynamic loss scaling: null = with float16 only"},
      "init_scale": {"type": "number", "exclusiveMinimum": 0, "default": 65536.0,
                     "description": "initial loss scale"},
      "growth_factor": {"type": "number", "exclusiveMinimum": 1, "default": 2.0,
                        "description": "scale multiplier after growth_interval finite steps"},
      "backoff_factor": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1,
                         "default": 0.5, "description": "scale multiplier after an inf/NaN step"},
      "growth_interval": {"type": "integer", "minimum": 1, "default": 2000,
                          "description": "finite steps in a row before the scale grows"}}})json";
  }

 protected:
  at::ScalarType dtype_;

 private:
  std::string name_;
  std::optional<bool> force_scaler_;
  GradScalerOptions scaler_options_;
  std::optional<GradScaler> scaler_;
  AutocastRegion autocast_;
  bool cuda_ = false;
};

class Float16Mixed : public MixedPrecision {
 public:
  static PluginInfo info() {
    return {"16-mixed", "1.0.0",
            "float16 autocast with dynamic loss scaling, float32 weights (Lightning's 16-mixed)",
            schema()};
  }
  explicit Float16Mixed(const nlohmann::json& config) : MixedPrecision(config, at::kHalf, "16-mixed") {}
};

class BFloat16Mixed : public MixedPrecision {
 public:
  static PluginInfo info() {
    return {"bf16-mixed", "1.0.0", "bfloat16 autocast, float32 weights (Lightning's bf16-mixed)",
            schema()};
  }
  explicit BFloat16Mixed(const nlohmann::json& config)
      : MixedPrecision(config, at::kBFloat16, "bf16-mixed") {}
};

}  // namespace volt::plugins
