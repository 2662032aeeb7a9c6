// torch.optim.lr_scheduler.OneCycleLR: warm up to max_lr, then anneal far below the start,
// cycling the momentum (SGD's momentum, Adam's and AdamW's beta1) the other way.
#pragma once

#include <volt/sdk/lr/epoch_scheduler.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace volt::lr {

struct OneCycleOptions {
  double pct_start = 0.3;
  std::string anneal_strategy = "cos";  // "cos" | "linear"
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool three_phase = false;
};

class OneCycleLR : public EpochScheduler {
 public:
  OneCycleLR(std::shared_ptr<torch::optim::Optimizer> opt, double max_lr, int64_t total_steps,
             OneCycleOptions o = {})
      : EpochScheduler(std::move(opt)), total_steps_(total_steps), o_(std::move(o)) {
    if (total_steps <= 0) throw Error(VOLT_ERROR_INVALID_ARGUMENT, "OneCycleLR: total_steps must be > 0");
    if (o_.pct_start < 0 || o_.pct_start > 1)
      throw Error(VOLT_ERROR_INVALID_ARGUMENT, "OneCycleLR: pct_start must be in [0, 1]");
    if (o_.anneal_strategy != "cos" && o_.anneal_strategy != "linear")
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "OneCycleLR: anneal_strategy must be 'cos' or 'linear', not '" + o_.anneal_strategy + "'");
    size_t groups = optimizer_->param_groups().size();
    max_lrs_.assign(groups, max_lr);
    for (size_t i = 0; i < groups; ++i) {
      initial_lrs_.push_back(max_lr / o_.div_factor);
      min_lrs_.push_back(initial_lrs_[i] / o_.final_div_factor);
    }
    base_lrs_ = initial_lrs_;  // Python's base class reads group['initial_lr']
    if (o_.cycle_momentum) {
      if (!has_momentum(optimizer_->param_groups()[0]))
        throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                    "OneCycleLR: cycle_momentum needs an optimizer with momentum or betas (SGD, "
                    "Adam, AdamW); pass cycle_momentum=false");
      for (auto& g : optimizer_->param_groups()) set_momentum(g, o_.max_momentum);
    }
    initial_step();
  }

 protected:
  std::vector<double> compute() const override {
    if (last_epoch_ > total_steps_)
      throw Error(VOLT_ERROR_OUT_OF_RANGE,
                  "OneCycleLR: tried to step " + std::to_string(last_epoch_) +
                      " times; the specified number of total steps is " + std::to_string(total_steps_));
    std::vector<double> out;
    auto& groups = optimizer_->param_groups();
    const double step = static_cast<double>(last_epoch_);
    const double t = static_cast<double>(total_steps_), p = o_.pct_start;
    // Phases as (end_step, start lr, end lr, start momentum, end momentum).
    for (size_t i = 0; i < groups.size(); ++i) {
      struct Phase { double end, lr0, lr1, m0, m1; };
      std::vector<Phase> phases;
      if (o_.three_phase)
        phases = {{p * t - 1, initial_lrs_[i], max_lrs_[i], o_.max_momentum, o_.base_momentum},
                  {2 * p * t - 2, max_lrs_[i], initial_lrs_[i], o_.base_momentum, o_.max_momentum},
                  {t - 1, initial_lrs_[i], min_lrs_[i], o_.max_momentum, o_.max_momentum}};
      else
        phases = {{p * t - 1, initial_lrs_[i], max_lrs_[i], o_.max_momentum, o_.base_momentum},
                  {t - 1, max_lrs_[i], min_lrs_[i], o_.base_momentum, o_.max_momentum}};
      double start = 0, lr = 0, momentum = 0;
      for (size_t k = 0; k < phases.size(); ++k) {
        if (step <= phases[k].end || k + 1 == phases.size()) {
          double pct = (step - start) / (phases[k].end - start);
          lr = anneal(phases[k].lr0, phases[k].lr1, pct);
          momentum = anneal(phases[k].m0, phases[k].m1, pct);
          break;
        }
        start = phases[k].end;
      }
      out.push_back(lr);
      if (o_.cycle_momentum) set_momentum(groups[i], momentum);
    }
    return out;
  }
  nlohmann::json hyper_parameters() const override {
    return {{"total_steps", total_steps_},      {"pct_start", o_.pct_start},
            {"anneal_strategy", o_.anneal_strategy}, {"cycle_momentum", o_.cycle_momentum},
            {"base_momentum", o_.base_momentum}, {"max_momentum", o_.max_momentum},
            {"div_factor", o_.div_factor},      {"final_div_factor", o_.final_div_factor},
            {"three_phase", o_.three_phase},    {"max_lrs", max_lrs_},
            {"initial_lrs", initial_lrs_},      {"min_lrs", min_lrs_}};
  }
  void load_hyper_parameters(const nlohmann::json& s) override {
    total_steps_ = s.at("total_steps").get<int64_t>();
    o_.pct_start = s.at("pct_start").get<double>();
    o_.anneal_strategy = s.at("anneal_strategy").get<std::string>();
    o_.cycle_momentum = s.at("cycle_momentum").get<bool>();
    o_.base_momentum = s.at("base_momentum").get<double>();
    o_.max_momentum = s.at("max_momentum").get<double>();
    o_.div_factor = s.at("div_factor").get<double>();
    o_.final_div_factor = s.at("final_div_factor").get<double>();
    o_.three_phase = s.at("three_phase").get<bool>();
    max_lrs_ = s.at("max_lrs").get<std::vector<double>>();
    initial_lrs_ = s.at("initial_lrs").get<std::vector<double>>();
    min_lrs_ = s.at("min_lrs").get<std::vector<double>>();
  }

 private:
  double anneal(double start, double end, double pct) const {
    if (o_.anneal_strategy == "linear") return (end - start) * pct + start;
    return end + (start - end) / 2.0 * (std::cos(M_PI * pct) + 1);
  }
  static bool has_momentum(torch::optim::OptimizerParamGroup& g) {
    auto* o = &g.options();
    return dynamic_cast<torch::optim::SGDOptions*>(o) || dynamic_cast<torch::optim::AdamOptions*>(o) ||
           dynamic_cast<torch::optim::AdamWOptions*>(o);
  }
  static void set_momentum(torch::optim::OptimizerParamGroup& g, double m) {
    auto* o = &g.options();
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(o)) sgd->momentum(m);
    else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(o))
      adam->betas(std::make_tuple(m, std::get<1>(adam->betas())));
    else if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(o))
      adamw->betas(std::make_tuple(m, std::get<1>(adamw->betas())));
  }

  int64_t total_steps_;
  OneCycleOptions o_;
  std::vector<double> max_lrs_, initial_lrs_, min_lrs_;
};

}  // namespace volt::lr
