// Dynamic loss scaling with the semantics and defaults of PyTorch's GradScaler (Lightning's
// 16-mixed): the loss is multiplied by `scale` before backward; before each optimizer step the
// gradients are unscaled in place and checked; a step with an inf/NaN gradient is skipped and
// the scale multiplied by backoff_factor; after growth_interval finite steps in a row the scale
// is multiplied by growth_factor.
#pragma once

#include <volt/sdk/torch_core.hpp>

#include <vector>

namespace volt::plugins {

struct GradScalerOptions {
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class GradScaler {
 public:
  explicit GradScaler(GradScalerOptions o = {}) : options_(o), scale_(o.init_scale) {}

  torch::Tensor scale(const torch::Tensor& loss) const { return loss * scale_; }

  // Unscales the gradients of `params` in place; false when any is not finite (then the
  // optimizer step must be skipped). One host synchronisation for all of them.
  bool unscale(const std::vector<torch::Tensor>& params) {
    torch::NoGradGuard no_grad;
    double inv = 1.0 / scale_;
    torch::Tensor all_finite;
    for (const auto& p : params) {
      torch::Tensor g = p.grad();
      if (!g.defined()) continue;
      torch::Tensor finite = torch::isfinite(g).all();
      all_finite = all_finite.defined() ? all_finite.logical_and(finite) : finite;
      g.mul_(inv);
    }
    found_inf_ = all_finite.defined() && !all_finite.item<bool>();
    return !found_inf_;
  }

  // After the optimizer step or its skip (PyTorch's scaler.update()).
  void update() {
    if (found_inf_) {
      scale_ *= options_.backoff_factor;
      growth_tracker_ = 0;
    } else if (++growth_tracker_ == options_.growth_interval) {
      scale_ *= options_.growth_factor;
      growth_tracker_ = 0;
    }
    found_inf_ = false;
  }

  double scale_value() const { return scale_; }
  int64_t growth_tracker() const { return growth_tracker_; }

  // PyTorch's GradScaler.state_dict() keys.
  c10::IValue state_dict() const {
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    d.insert("scale", scale_);
    d.insert("growth_factor", options_.growth_factor);
    d.insert("backoff_factor", options_.backoff_factor);
    d.insert("growth_interval", options_.growth_interval);
    d.insert("_growth_tracker", growth_tracker_);
    return d;
  }
  void load_state_dict(const c10::IValue& state) {
    auto d = state.toGenericDict();
    auto number = [&](const char* key) {
      if (!d.contains(key))
        throw std::runtime_error(std::string("loss scaler state has no '") + key + "'");
      const c10::IValue& v = d.at(key);
      return v.isDouble() ? v.toDouble() : static_cast<double>(v.toInt());
    };
    scale_ = number("scale");
    options_.growth_factor = number("growth_factor");
    options_.backoff_factor = number("backoff_factor");
    options_.growth_interval = static_cast<int64_t>(number("growth_interval"));
    growth_tracker_ = static_cast<int64_t>(number("_growth_tracker"));
  }

 private:
  GradScalerOptions options_;
  double scale_;
  int64_t growth_tracker_ = 0;
  bool found_inf_ = false;
};

}  // namespace volt::plugins
