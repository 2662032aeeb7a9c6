// Lightning's LearningRateMonitor key names and selection (plugins/callbacks/lr_monitor_logic.hpp).
// The lr_monitor plugin (plugins/callbacks/lr_monitor.hpp) reads optimizers through ABI 1.1.
#include "../../plugins/callbacks/lr_monitor_logic.hpp"

#include <catch2/catch.hpp>

using namespace volt::callbacks;

namespace {
LrOptimizerInfo opt(const std::string& cls, std::vector<double> lrs,
                    std::vector<std::string> groups = {}) {
  LrOptimizerInfo o;
  o.class_name = cls;
  o.lrs = std::move(lrs);
  o.group_names = groups.empty() ? std::vector<std::string>(o.lrs.size()) : std::move(groups);
  o.momentum = std::vector<double>(o.lrs.size(), 0.9);
  return o;
}
using Names = std::vector<std::vector<std::string>>;
}  // namespace

TEST_CASE("lr_monitor: one key per optimizer class", "[callbacks][lr_monitor]") {
  CHECK(lr_monitor_names({opt("Adam", {0.1})}) == Names{{"lr-Adam"}});
  CHECK(lr_monitor_names({opt("Adam", {0.1}), opt("Adam", {0.2}), opt("SGD", {0.3}),
                          opt("Adam", {0.4})}) ==
        Names{{"lr-Adam"}, {"lr-Adam-1"}, {"lr-SGD"}, {"lr-Adam-2"}});
}

TEST_CASE("lr_monitor: param groups", "[callbacks][lr_monitor]") {
  CHECK(lr_monitor_names({opt("Adam", {0.1, 0.2})}) == Names{{"lr-Adam/pg1", "lr-Adam/pg2"}});
  CHECK(lr_monitor_names({opt("SGD", {0.1, 0.2}, {"backbone", ""})}) ==
        Names{{"lr-SGD/backbone", "lr-SGD/pg2"}});
  CHECK(lr_monitor_names({opt("SGD", {0.1}, {"head"})}) == Names{{"lr-SGD/head"}});
  CHECK_THROWS_WITH(lr_monitor_names({opt("SGD", {0.1, 0.2}, {"a", "a"})}),
                    Catch::Contains("identical `name` values"));
}

TEST_CASE("lr_monitor: scheduler names and order", "[callbacks][lr_monitor]") {
  LrOptimizerInfo plain = opt("Adam", {0.1});
  LrOptimizerInfo scheduled = opt("Adam", {0.2});
  scheduled.has_scheduler = true;
  scheduled.scheduler_interval = "step";
  // Optimizers with a scheduler are named first.
  CHECK(lr_monitor_names({plain, scheduled}) == Names{{"lr-Adam-1"}, {"lr-Adam"}});
  scheduled.scheduler_name = "my-lr";
  CHECK(lr_monitor_names({plain, scheduled}) == Names{{"lr-Adam"}, {"my-lr"}});
}

TEST_CASE("lr_monitor: what each hook logs", "[callbacks][lr_monitor]") {
  LrOptimizerInfo plain = opt("SGD", {0.1});
  LrOptimizerInfo epoch_sched = opt("Adam", {0.01});
  epoch_sched.has_scheduler = true;
  epoch_sched.scheduler_interval = "epoch";
  std::vector<LrOptimizerInfo> all{plain, epoch_sched};
  using Stats = LrStats;
  CHECK(lr_monitor_stats(all, "step", false) == Stats{{"lr-SGD", 0.1}});
  CHECK(lr_monitor_stats(all, "epoch", false) == Stats{{"lr-Adam", 0.01}, {"lr-SGD", 0.1}});
  CHECK(lr_monitor_stats(all, "any", true) ==
        Stats{{"lr-Adam", 0.01}, {"lr-Adam-momentum", 0.9}, {"lr-SGD", 0.1},
              {"lr-SGD-momentum", 0.9}});

  std::optional<std::string> none;
  CHECK(lr_monitor_interval(none, true) == std::optional<std::string>("step"));
  CHECK(lr_monitor_interval(none, false) == std::optional<std::string>("epoch"));
  CHECK(lr_monitor_interval(std::string("step"), true) == std::optional<std::string>("any"));
  CHECK_FALSE(lr_monitor_interval(std::string("step"), false));
  CHECK_FALSE(lr_monitor_interval(std::string("epoch"), true));
  CHECK(lr_monitor_interval(std::string("epoch"), false) == std::optional<std::string>("any"));
}
