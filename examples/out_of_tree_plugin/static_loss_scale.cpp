// A precision plugin: static loss scaling. The loss is multiplied by `scale` before backward
// and the gradients divided by it before the optimizer step, which keeps small float16
// gradients from flushing to zero without GradScaler's dynamic search. With a power of two the
// round trip is exact in float32: training is bitwise that of 32-true.
#include <volt/sdk.hpp>

class StaticLossScale : public volt::PrecisionPlugin {
 public:
  static volt::PluginInfo info() {
    return {"static_loss_scale", "1.0.0", "Multiply the loss by a constant, unscale the gradients (example)",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "scale": {"type": "number", "exclusiveMinimum": 0, "default": 1024}}})json"};
  }

  explicit StaticLossScale(const nlohmann::json& config) : scale_(config.at("scale").get<double>()) {}

  std::string name() const override { return "static_loss_scale"; }
  torch::Tensor pre_backward(const torch::Tensor& loss) override { return loss * scale_; }
  bool before_optimizer_step(volt::OptimizerRef optimizer) override {
    torch::NoGradGuard no_grad;
    for (auto& p : optimizer.params())
      if (p.grad().defined()) p.grad().div_(scale_);
    return true;
  }

 private:
  double scale_;
};

VOLT_PLUGINS(StaticLossScale)
