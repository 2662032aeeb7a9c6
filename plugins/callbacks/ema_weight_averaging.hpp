// `ema_weight_averaging`: Lightning's EMAWeightAveraging. Keeps an exponential moving average
// of the module's parameters, updated after optimizer steps (avg.lerp_(param, 1 - decay), the
// first update copies), swaps it in for validation, and copies it into the module when training
// ends. The average is saved in the checkpoint under the callback's state (Volt keeps the
// module's own weights in state_dict; Lightning swaps them), so a resumed run is exact.
#pragma once

#include "common.hpp"

#include <volt/sdk.hpp>

#include <optional>
#include <string>
#include <vector>

namespace volt::callbacks {

class EMAWeightAveraging : public Callback {
 public:
  static PluginInfo info() {
    return {"ema_weight_averaging", "1.0.0",
            "Exponential moving average of the weights, used for validation (Lightning's EMAWeightAveraging)",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "decay": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.999},
              "update_every_n_steps": {"type": "integer", "minimum": 1, "default": 1},
              "update_starting_at_step": {"type": ["integer", "null"], "minimum": 0, "default": null},
              "update_starting_at_epoch": {"type": ["integer", "null"], "minimum": 0, "default": null}}})json"};
  }

  explicit EMAWeightAveraging(const nlohmann::json& config)
      : decay_(config.value("decay", 0.999)),
        every_(config.value("update_every_n_steps", 1)),
        start_step_(optional_value<int64_t>(config, "update_starting_at_step")),
        start_epoch_(optional_value<int64_t>(config, "update_starting_at_epoch")) {}

  std::string state_key() const override { return "EMAWeightAveraging"; }

  // Lightning's should_update.
  bool should_update(std::optional<int64_t> step_idx, std::optional<int64_t> epoch_idx) const {
    if (step_idx && (!start_step_ || *step_idx >= *start_step_) && *step_idx % every_ == 0) return true;
    return epoch_idx && start_epoch_ && *epoch_idx >= *start_epoch_;
  }

  void on_train_batch_end(const torch::Tensor&, const Batch&, int64_t) override {
    int64_t step = global_step();
    if (step > latest_step_ && should_update(step - 1, std::nullopt)) {
      update();
      latest_step_ = step;
    }
  }
  void on_train_epoch_end() override {
    int64_t epoch = current_epoch();
    if (epoch > latest_epoch_ && should_update(std::nullopt, epoch)) {
      update();
      latest_epoch_ = epoch;
    }
  }
  void on_validation_epoch_start() override {
    if (!average_.empty() && !swapped_) swap();
  }
  void on_validation_epoch_end() override {
    if (swapped_) swap();
  }
  void on_train_end() override {
    if (average_.empty()) return;
    torch::NoGradGuard no_grad;
    NamedTensors params = module().named_parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].second.copy_(average_[i]);
  }

  c10::IValue full_state_dict() const override {
    c10::impl::GenericDict state(c10::StringType::get(), c10::AnyType::get());
    if (average_.empty()) return state;  // nothing averaged yet: no state, as Lightning
    c10::impl::GenericDict average(c10::StringType::get(), c10::AnyType::get());
    for (size_t i = 0; i < average_.size(); ++i) average.insert(names_[i], average_[i]);
    state.insert("average", average);
    state.insert("n_averaged", n_averaged_);
    state.insert("latest_update_step", latest_step_);
    state.insert("latest_update_epoch", latest_epoch_);
    return state;
  }
  void load_full_state_dict(const c10::IValue& v) override {
    if (!v.isGenericDict()) return;
    const auto& d = v.toGenericDict();
    auto get = [&](const char* key) -> c10::IValue {
      auto it = d.find(c10::IValue(std::string(key)));
      if (it == d.end()) throw Error(std::string("ema_weight_averaging: checkpoint state lacks '") + key + "'");
      return it->value();
    };
    NamedTensors params = module().named_parameters();
    const auto& average = get("average").toGenericDict();
    names_.clear();
    average_.clear();
    for (const auto& [name, p] : params) {
      auto it = average.find(c10::IValue(name));
      if (it == average.end())
        throw Error("ema_weight_averaging: checkpoint has no average for parameter '" + name + "'");
      names_.push_back(name);
      average_.push_back(it->value().toTensor().to(p.device(), p.scalar_type()).clone());
    }
    n_averaged_ = get("n_averaged").toInt();
    latest_step_ = get("latest_update_step").toInt();
    latest_epoch_ = get("latest_update_epoch").toInt();
  }

 private:
  void update() {
    torch::NoGradGuard no_grad;
    NamedTensors params = module().named_parameters();
    if (average_.empty()) {
      for (const auto& [name, p] : params) {
        names_.push_back(name);
        average_.push_back(p.detach().clone());
      }
    } else {
      for (size_t i = 0; i < params.size(); ++i) average_[i].lerp_(params[i].second, 1.0 - decay_);
    }
    ++n_averaged_;
  }
  void swap() {
    torch::NoGradGuard no_grad;
    NamedTensors params = module().named_parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      torch::Tensor current = params[i].second.detach().clone();
      params[i].second.copy_(average_[i]);
      average_[i].copy_(current);
    }
    swapped_ = !swapped_;
  }

  double decay_;
  int64_t every_;
  std::optional<int64_t> start_step_, start_epoch_;
  std::vector<std::string> names_;
  std::vector<torch::Tensor> average_;
  int64_t n_averaged_ = 0;
  int64_t latest_step_ = 0;
  int64_t latest_epoch_ = -1;
  bool swapped_ = false;
};

}  // namespace volt::callbacks
