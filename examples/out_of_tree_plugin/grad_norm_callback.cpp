// A callback plugin: logs the gradient norm before each optimizer step under Lightning's name
// for it (lightning.pytorch.utilities.grad_norm: "grad_<p>_norm_total"), the norm over every
// parameter's gradient, with gradients already unscaled by the precision plugin.
#include <volt/sdk.hpp>

#include <iomanip>
#include <sstream>

class GradNormMonitor : public volt::Callback {
 public:
  static volt::PluginInfo info() {
    return {"grad_norm_monitor", "1.0.0", "Log the total gradient norm before each optimizer step (example)",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "norm_type": {"type": "number", "exclusiveMinimum": 0, "default": 2.0}}})json"};
  }

  explicit GradNormMonitor(const nlohmann::json& config)
      : norm_type_(config.at("norm_type").get<double>()) {}

  void on_before_optimizer_step(int32_t /*optimizer_idx*/) override {
    std::vector<torch::Tensor> norms;
    for (const auto& [name, p] : module().named_parameters())
      if (p.grad().defined()) norms.push_back(p.grad().detach().norm(norm_type_));
    if (norms.empty()) return;
    std::ostringstream key;
    key << "grad_" << std::fixed << std::setprecision(1) << norm_type_ << "_norm_total";
    log(key.str(), torch::stack(norms).norm(norm_type_), volt::LogOptions().batch_size(1));
  }

 private:
  double norm_type_;
};

VOLT_PLUGINS(GradNormMonitor)
