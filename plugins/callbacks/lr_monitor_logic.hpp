// Lightning's LearningRateMonitor naming and selection rules, over plain descriptions of the
// optimizers (the plugin glue would fill them from the host; see lr_monitor.hpp):
//  - keys "lr-<OptimizerClass>"; the scheduler config's name replaces it when given;
//  - the 2nd, 3rd... optimizer of one class: "lr-Adam-1", "lr-Adam-2";
//  - several param groups: "/<group name>" or "/pg<i+1>"; a single named group: "/<name>";
//  - optimizers with a scheduler come first (config order), then the others;
//  - at each logging point, optimizers with a scheduler are logged when the scheduler's interval
//    matches ("step"/"epoch", or "any"); the others always.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace volt::callbacks {

struct LrOptimizerInfo {
  std::string class_name;                   // "Adam", "SGD" (volt_optimizer.name)
  std::vector<std::string> group_names;     // one per param group; "" = unnamed
  std::vector<double> lrs;                  // one per param group
  std::vector<double> momentum;             // betas[0] or momentum per group (0 when none)
  bool has_scheduler = false;
  std::optional<std::string> scheduler_name;  // lr_scheduler_config name
  std::string scheduler_interval = "epoch";   // "step" | "epoch"
};

using LrStats = std::vector<std::pair<std::string, double>>;

namespace detail {

inline std::string lr_group_suffix(const std::string& name, const LrOptimizerInfo& o, size_t i) {
  const std::string& pg = i < o.group_names.size() ? o.group_names[i] : std::string();
  if (o.lrs.size() > 1) return name + "/" + (pg.empty() ? "pg" + std::to_string(i + 1) : pg);
  return pg.empty() ? name : name + "/" + pg;
}

}  // namespace detail

// Keys for each optimizer, in `optimizers`' order (one key per param group).
inline std::vector<std::vector<std::string>> lr_monitor_names(
    const std::vector<LrOptimizerInfo>& optimizers) {
  std::vector<std::vector<std::string>> names(optimizers.size());
  std::map<std::string, int> seen_types;
  auto name_one = [&](size_t k) {
    const LrOptimizerInfo& o = optimizers[k];
    bool named = o.has_scheduler && o.scheduler_name.has_value();
    std::string name = named ? *o.scheduler_name : "lr-" + o.class_name;
    if (!named) seen_types[o.class_name] += 1;
    std::set<std::string> group_names;
    for (const auto& g : o.group_names)
      if (!g.empty() && !group_names.insert(g).second)
        throw std::invalid_argument(
            "A single `Optimizer` cannot have multiple parameter groups with identical `name` "
            "values. " + name + " has duplicated parameter group names " + g);
    auto it = seen_types.find(o.class_name);
    if (it != seen_types.end() && it->second > 1) name += "-" + std::to_string(it->second - 1);
    for (size_t i = 0; i < o.lrs.size(); ++i) names[k].push_back(detail::lr_group_suffix(name, o, i));
  };
  for (size_t k = 0; k < optimizers.size(); ++k)
    if (optimizers[k].has_scheduler) name_one(k);
  for (size_t k = 0; k < optimizers.size(); ++k)
    if (!optimizers[k].has_scheduler) name_one(k);
  return names;
}

// Lightning's _extract_stats for `interval` ("step", "epoch" or "any").
inline LrStats lr_monitor_stats(const std::vector<LrOptimizerInfo>& optimizers,
                                const std::string& interval, bool log_momentum) {
  std::vector<std::vector<std::string>> names = lr_monitor_names(optimizers);
  LrStats stats;
  auto add = [&](size_t k) {
    const LrOptimizerInfo& o = optimizers[k];
    for (size_t i = 0; i < o.lrs.size(); ++i) {
      stats.emplace_back(names[k][i], o.lrs[i]);
      if (log_momentum)
        stats.emplace_back(names[k][i] + "-momentum", i < o.momentum.size() ? o.momentum[i] : 0.0);
    }
  };
  for (size_t k = 0; k < optimizers.size(); ++k)
    if (optimizers[k].has_scheduler &&
        (interval == "any" || interval == optimizers[k].scheduler_interval))
      add(k);
  for (size_t k = 0; k < optimizers.size(); ++k)
    if (!optimizers[k].has_scheduler) add(k);
  return stats;
}

// Which interval a hook logs for, given logging_interval (nullopt, "step" or "epoch");
// nullopt: the hook logs nothing.
inline std::optional<std::string> lr_monitor_interval(const std::optional<std::string>& logging_interval,
                                                      bool at_train_batch_start) {
  if (at_train_batch_start) {
    if (logging_interval == std::optional<std::string>("epoch")) return std::nullopt;
    return logging_interval ? "any" : "step";
  }
  if (logging_interval == std::optional<std::string>("step")) return std::nullopt;
  return logging_interval ? "any" : "epoch";
}

}  // namespace volt::callbacks
