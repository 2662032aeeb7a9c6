// torch.optim.lr_scheduler.CosineAnnealingLR.
#pragma once

#include <volt/sdk/lr/epoch_scheduler.hpp>

#include <cmath>

namespace volt::lr {

// restarts), in PyTorch's recursive form.
class CosineAnnealingLR : public EpochScheduler {
 public:
  CosineAnnealingLR(std::shared_ptr<torch::optim::Optimizer> opt, int64_t t_max,
                    double eta_min = 0.0)
      : EpochScheduler(std::move(opt)), t_max_(t_max), eta_min_(eta_min) {
    if (t_max <= 0) throw Error(VOLT_ERROR_INVALID_ARGUMENT, "CosineAnnealingLR: T_max must be > 0");
    initial_step();
  }

 protected:
  std::vector<double> compute() const override {
    std::vector<double> lr = lrs();
    if (last_epoch_ == 0) return lr;
    const double pi = M_PI, t = static_cast<double>(t_max_), e = static_cast<double>(last_epoch_);
    for (size_t i = 0; i < lr.size(); ++i) {
      if ((last_epoch_ - 1 - t_max_) % (2 * t_max_) == 0)
        lr[i] = lr[i] + (base_lrs_[i] - eta_min_) * (1 - std::cos(pi / t)) / 2;
      else
        lr[i] = (1 + std::cos(pi * e / t)) / (1 + std::cos(pi * (e - 1) / t)) *
                    (lr[i] - eta_min_) + eta_min_;
    }
    return lr;
  }
  nlohmann::json hyper_parameters() const override {
    return {{"T_max", t_max_}, {"eta_min", eta_min_}};
  }
  void load_hyper_parameters(const nlohmann::json& s) override {
    t_max_ = s.at("T_max").get<int64_t>();
    eta_min_ = s.at("eta_min").get<double>();
  }

 private:
  int64_t t_max_;
  double eta_min_;
};

}  // namespace volt::lr
