// torch.optim.lr_scheduler.StepLR and MultiStepLR.
#pragma once

#include <volt/sdk/lr/epoch_scheduler.hpp>

#include <cmath>
#include <map>
#include <string>

namespace volt::lr {

// lr *= gamma every step_size steps.
class StepLR : public EpochScheduler {
 public:
  StepLR(std::shared_ptr<torch::optim::Optimizer> opt, int64_t step_size, double gamma = 0.1)
      : EpochScheduler(std::move(opt)), step_size_(step_size), gamma_(gamma) {
    if (step_size <= 0) throw Error(VOLT_ERROR_INVALID_ARGUMENT, "StepLR: step_size must be > 0");
    initial_step();
  }

 protected:
  std::vector<double> compute() const override {
    std::vector<double> lr = lrs();
    if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lr;
    for (double& v : lr) v *= gamma_;
    return lr;
  }
  nlohmann::json hyper_parameters() const override {
    return {{"step_size", step_size_}, {"gamma", gamma_}};
  }
  void load_hyper_parameters(const nlohmann::json& s) override {
    step_size_ = s.at("step_size").get<int64_t>();
    gamma_ = s.at("gamma").get<double>();
  }

 private:
  int64_t step_size_;
  double gamma_;
};

// lr *= gamma at each milestone (a milestone listed twice multiplies twice).
class MultiStepLR : public EpochScheduler {
 public:
  MultiStepLR(std::shared_ptr<torch::optim::Optimizer> opt, std::vector<int64_t> milestones,
              double gamma = 0.1)
      : EpochScheduler(std::move(opt)), gamma_(gamma) {
    for (int64_t m : milestones) ++milestones_[m];
    initial_step();
  }

 protected:
  std::vector<double> compute() const override {
    std::vector<double> lr = lrs();
    auto it = milestones_.find(last_epoch_);
    if (it == milestones_.end()) return lr;
    for (double& v : lr) v *= std::pow(gamma_, static_cast<double>(it->second));
    return lr;
  }
  nlohmann::json hyper_parameters() const override {
    // Python saves a Counter: {milestone: count}.
    nlohmann::json m = nlohmann::json::object();
    for (auto [k, n] : milestones_) m[std::to_string(k)] = n;
    return {{"milestones", m}, {"gamma", gamma_}};
  }
  void load_hyper_parameters(const nlohmann::json& s) override {
    milestones_.clear();
    for (auto it = s.at("milestones").begin(); it != s.at("milestones").end(); ++it)
      milestones_[std::stoll(it.key())] = it.value().get<int64_t>();
    gamma_ = s.at("gamma").get<double>();
  }

 private:
  std::map<int64_t, int64_t> milestones_;
  double gamma_;
};

}  // namespace volt::lr
