// torch.optim.lr_scheduler.ReduceLROnPlateau: lr *= factor when the monitored metric stops
// improving for `patience` epochs. Configure it with SchedulerConfig{.monitor = "val_loss"};
// the trainer passes the metric to step().
#pragma once

#include <volt/sdk/module.hpp>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace volt::lr {

struct PlateauOptions {
  std::string mode = "min";  // "min" | "max"
  double factor = 0.1;
  int64_t patience = 10;
  double threshold = 1e-4;
  std::string threshold_mode = "rel";  // "rel" | "abs"
  int64_t cooldown = 0;
  double min_lr = 0.0;
  double eps = 1e-8;
};

class ReduceLROnPlateau : public LRScheduler {
 public:
  ReduceLROnPlateau(std::shared_ptr<torch::optim::Optimizer> opt, PlateauOptions o = {})
      : optimizer_(std::move(opt)), o_(std::move(o)) {
    if (!optimizer_) throw Error(VOLT_ERROR_INVALID_ARGUMENT, "ReduceLROnPlateau: null optimizer");
    if (o_.factor >= 1.0) throw Error(VOLT_ERROR_INVALID_ARGUMENT, "ReduceLROnPlateau: factor must be < 1.0");
    if (o_.mode != "min" && o_.mode != "max")
      throw Error(VOLT_ERROR_INVALID_ARGUMENT, "ReduceLROnPlateau: mode '" + o_.mode + "' is unknown (min, max)");
    if (o_.threshold_mode != "rel" && o_.threshold_mode != "abs")
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "ReduceLROnPlateau: threshold_mode '" + o_.threshold_mode + "' is unknown (rel, abs)");
    min_lrs_.assign(optimizer_->param_groups().size(), o_.min_lr);
    best_ = mode_worse();
  }

  void step(std::optional<double> metric) override {
    if (!metric)
      throw Error(VOLT_ERROR_FAILED_PRECONDITION,
                  "ReduceLROnPlateau needs a monitored metric: set SchedulerConfig.monitor");
    double current = *metric;
    ++last_epoch_;
    if (is_better(current)) {
      best_ = current;
      num_bad_epochs_ = 0;
    } else {
      ++num_bad_epochs_;
    }
    if (cooldown_counter_ > 0) {
      --cooldown_counter_;
      num_bad_epochs_ = 0;
    }
    if (num_bad_epochs_ > o_.patience) {
      reduce();
      cooldown_counter_ = o_.cooldown;
      num_bad_epochs_ = 0;
    }
    last_lr_.clear();
    for (auto& g : optimizer_->param_groups()) last_lr_.push_back(g.options().get_lr());
  }

  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  double best() const { return best_; }

  nlohmann::json state_dict() const override {
    return {{"factor", o_.factor},
            {"min_lrs", min_lrs_},
            {"patience", o_.patience},
            {"verbose", false},
            {"cooldown", o_.cooldown},
            {"cooldown_counter", cooldown_counter_},
            {"mode", o_.mode},
            {"threshold", o_.threshold},
            {"threshold_mode", o_.threshold_mode},
            {"best", best_},
            {"num_bad_epochs", num_bad_epochs_},
            {"mode_worse", mode_worse()},
            {"eps", o_.eps},
            {"last_epoch", last_epoch_},
            {"_last_lr", last_lr_}};
  }
  void load_state_dict(const nlohmann::json& s) override {
    o_.factor = s.at("factor").get<double>();
    min_lrs_ = s.at("min_lrs").get<std::vector<double>>();
    o_.patience = s.at("patience").get<int64_t>();
    o_.cooldown = s.at("cooldown").get<int64_t>();
    cooldown_counter_ = s.at("cooldown_counter").get<int64_t>();
    o_.mode = s.at("mode").get<std::string>();
    o_.threshold = s.at("threshold").get<double>();
    o_.threshold_mode = s.at("threshold_mode").get<std::string>();
    // A never-stepped scheduler's best is ±inf, which JSON text cannot hold: null stands for it.
    best_ = s.at("best").is_null() ? mode_worse() : s.at("best").get<double>();
    num_bad_epochs_ = s.at("num_bad_epochs").get<int64_t>();
    o_.eps = s.at("eps").get<double>();
    last_epoch_ = s.at("last_epoch").get<int64_t>();
    if (s.contains("_last_lr")) last_lr_ = s.at("_last_lr").get<std::vector<double>>();
  }

 private:
  double mode_worse() const {
    return o_.mode == "min" ? std::numeric_limits<double>::infinity()
                            : -std::numeric_limits<double>::infinity();
  }
  bool is_better(double a) const {
    bool rel = o_.threshold_mode == "rel";
    if (o_.mode == "min") return rel ? a < best_ * (1.0 - o_.threshold) : a < best_ - o_.threshold;
    return rel ? a > best_ * (o_.threshold + 1.0) : a > best_ + o_.threshold;
  }
  void reduce() {
    auto& groups = optimizer_->param_groups();
    for (size_t i = 0; i < groups.size(); ++i) {
      double old_lr = groups[i].options().get_lr();
      double new_lr = std::max(old_lr * o_.factor, min_lrs_[i]);
      if (old_lr - new_lr > o_.eps) groups[i].options().set_lr(new_lr);
    }
  }

  std::shared_ptr<torch::optim::Optimizer> optimizer_;
  PlateauOptions o_;
  std::vector<double> min_lrs_;
  std::vector<double> last_lr_;
  double best_ = 0;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
};

}  // namespace volt::lr
