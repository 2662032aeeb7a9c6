// torch.optim.lr_scheduler.LinearLR, the usual linear warm-up.
#pragma once

#include <volt/sdk/lr/epoch_scheduler.hpp>

namespace volt::lr {

// Linear warm-up: the factor goes from start_factor to end_factor over total_iters steps.
class LinearLR : public EpochScheduler {
 public:
  LinearLR(std::shared_ptr<torch::optim::Optimizer> opt, double start_factor = 1.0 / 3,
           double end_factor = 1.0, int64_t total_iters = 5)
      : EpochScheduler(std::move(opt)), start_(start_factor), end_(end_factor),
        total_(total_iters) {
    if (start_factor <= 0 || start_factor > 1 || end_factor < 0 || end_factor > 1)
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1]");
    initial_step();
  }

 protected:
  std::vector<double> compute() const override {
    std::vector<double> lr = lrs();
    if (last_epoch_ == 0) {
      for (double& v : lr) v *= start_;
      return lr;
    }
    if (last_epoch_ > total_) return lr;
    double f = 1.0 + (end_ - start_) / (static_cast<double>(total_) * start_ +
                                        static_cast<double>(last_epoch_ - 1) * (end_ - start_));
    for (double& v : lr) v *= f;
    return lr;
  }
  nlohmann::json hyper_parameters() const override {
    return {{"start_factor", start_}, {"end_factor", end_}, {"total_iters", total_}};
  }
  void load_hyper_parameters(const nlohmann::json& s) override {
    start_ = s.at("start_factor").get<double>();
    end_ = s.at("end_factor").get<double>();
    total_ = s.at("total_iters").get<int64_t>();
  }

 private:
  double start_, end_;
  int64_t total_;
};

}  // namespace volt::lr
