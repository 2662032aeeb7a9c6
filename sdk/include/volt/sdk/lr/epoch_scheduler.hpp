// The base of Volt's PyTorch-compatible LR schedulers (see volt/sdk/lr_schedulers.hpp).
#pragma once

#include <volt/sdk/module.hpp>

#include <memory>
#include <optional>
#include <vector>

namespace volt::lr {

// The shared part: base_lrs, last_epoch, _step_count and _last_lr over an optimizer's groups.
class EpochScheduler : public LRScheduler {
 public:
  explicit EpochScheduler(std::shared_ptr<torch::optim::Optimizer> optimizer)
      : optimizer_(std::move(optimizer)) {
    if (!optimizer_) throw Error(VOLT_ERROR_INVALID_ARGUMENT, "LR scheduler: null optimizer");
    for (auto& g : optimizer_->param_groups()) base_lrs_.push_back(g.options().get_lr());
  }

  void step(std::optional<double> /*metric*/) override {
    ++step_count_;
    ++last_epoch_;
    set_lrs(compute());
  }

  // Current learning rate of each group.
  std::vector<double> lrs() const {
    std::vector<double> out;
    for (auto& g : optimizer_->param_groups()) out.push_back(g.options().get_lr());
    return out;
  }
  int64_t last_epoch() const { return last_epoch_; }

  nlohmann::json state_dict() const override {
    nlohmann::json s = hyper_parameters();
    s["base_lrs"] = base_lrs_;
    s["last_epoch"] = last_epoch_;
    s["_step_count"] = step_count_;
    s["verbose"] = false;
    s["_get_lr_called_within_step"] = false;
    s["_last_lr"] = last_lr_;
    return s;
  }
  void load_state_dict(const nlohmann::json& s) override {
    base_lrs_ = s.at("base_lrs").get<std::vector<double>>();
    last_epoch_ = s.at("last_epoch").get<int64_t>();
    step_count_ = s.at("_step_count").get<int64_t>();
    last_lr_ = s.at("_last_lr").get<std::vector<double>>();
    load_hyper_parameters(s);
  }

 protected:
  // PyTorch's get_lr(): the new rates from the current ones (chainable form).
  virtual std::vector<double> compute() const = 0;
  virtual nlohmann::json hyper_parameters() const = 0;
  virtual void load_hyper_parameters(const nlohmann::json& s) = 0;

  // PyTorch's constructor ends with one step (last_epoch -1 -> 0); subclasses call this last.
  void initial_step() {
    last_epoch_ = -1;
    step_count_ = 0;
    step(std::nullopt);
  }
  void set_lrs(const std::vector<double>& lrs) {
    auto& groups = optimizer_->param_groups();
    for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lrs[i]);
    last_lr_ = lrs;
  }

  std::shared_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;
  int64_t last_epoch_ = -1;
  int64_t step_count_ = 0;
};

}  // namespace volt::lr
