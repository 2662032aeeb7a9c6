// ModelCheckpoint's top-k bookkeeping (Lightning's check_monitor_top_k and
// _update_best_and_save without the I/O): which scores are kept, which file drops out, which
// is the best and the k-th best. Entries keep insertion order, so ties resolve as Python's
// max()/min() over a dict do (the first one wins).
#pragma once

#include "common.hpp"

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace volt::callbacks {

class TopKTracker {
 public:
  TopKTracker(bool mode_max, int64_t save_top_k) : mode_max_(mode_max), save_top_k_(save_top_k) {
    double inf = std::numeric_limits<double>::infinity();
    kth_value = mode_max ? -inf : inf;
  }

  // Lightning's check_monitor_top_k.
  bool should_save(std::optional<double> current) const {
    if (!current) return false;
    if (save_top_k_ == -1) return true;
    if (static_cast<int64_t>(best_k_models.size()) < save_top_k_) return true;
    return better(*current, score_of(kth_best_model_path));
  }

  // Lightning's _update_best_and_save: drops the k-th entry when full, names the new file with
  // `make_path(del_filepath)` (the version counter may reuse the dropped name), records it and
  // returns the path of the file to delete after saving ("" for none). NaN counts as the worst.
  std::string update(double current, const std::function<std::string(const std::string&)>& make_path,
                     std::string* saved_path = nullptr) {
    int64_t k = save_top_k_ == -1 ? static_cast<int64_t>(best_k_models.size()) + 1 : save_top_k_;
    std::string del_filepath;
    if (static_cast<int64_t>(best_k_models.size()) == k && k > 0) {
      del_filepath = kth_best_model_path;
      erase(del_filepath);
    }
    if (std::isnan(current))
      current = mode_max_ ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
    std::string filepath = make_path(del_filepath);
    current_score = current;
    set(filepath, current);
    if (static_cast<int64_t>(best_k_models.size()) == k) {
      kth_best_model_path = pick(/*worst=*/true);
      kth_value = score_of(kth_best_model_path);
    }
    best_model_path = pick(/*worst=*/false);
    best_model_score = score_of(best_model_path);
    if (saved_path != nullptr) *saved_path = filepath;
    return del_filepath;
  }

  int64_t k_for_message() const {
    return save_top_k_ == -1 ? static_cast<int64_t>(best_k_models.size()) : save_top_k_;
  }
  bool better(double a, double b) const { return mode_max_ ? a > b : a < b; }
  double score_of(const std::string& path) const {
    for (const auto& [p, s] : best_k_models)
      if (p == path) return s;
    return std::numeric_limits<double>::quiet_NaN();
  }

  nlohmann::json best_k_models_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [p, s] : best_k_models) j[p] = score_to_json(s);
    return j;
  }
  void load_best_k_models(const nlohmann::json& j) {
    if (!j.is_object()) return;
    best_k_models.clear();
    for (auto it = j.begin(); it != j.end(); ++it)
      if (auto s = score_from_json(it.value())) best_k_models.emplace_back(it.key(), *s);
  }

  // Lightning's attributes, public as there.
  std::vector<std::pair<std::string, double>> best_k_models;
  std::string kth_best_model_path;
  double kth_value;
  std::string best_model_path;
  std::optional<double> best_model_score;
  std::optional<double> current_score;

 private:
  void erase(const std::string& path) {
    for (auto it = best_k_models.begin(); it != best_k_models.end(); ++it)
      if (it->first == path) {
        best_k_models.erase(it);
        return;
      }
  }
  void set(const std::string& path, double score) {
    for (auto& [p, s] : best_k_models)
      if (p == path) {
        s = score;
        return;
      }
    best_k_models.emplace_back(path, score);
  }
  // The worst (k-th) entry: max for "min" mode; the best: min for "min" mode. First wins ties.
  std::string pick(bool worst) const {
    if (best_k_models.empty()) return "";
    bool want_larger = worst != mode_max_;
    const auto* chosen = &best_k_models.front();
    for (const auto& e : best_k_models)
      if (want_larger ? e.second > chosen->second : e.second < chosen->second) chosen = &e;
    return chosen->first;
  }

  bool mode_max_;
  int64_t save_top_k_;
};

}  // namespace volt::callbacks
