// Lightning's _flatten_dict(params, delimiter="/"), which the MLflow and TensorBoard loggers
// apply to hyper-parameters: {"optim": {"lr": 0.1}} -> {"optim/lr": 0.1}. An empty object is a
// leaf, as in Lightning.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace volt::loggers {

inline void flatten_params_into(const nlohmann::json& value, const std::string& prefix,
                                nlohmann::json& out) {
  if (value.is_object() && !value.empty()) {
    for (auto it = value.begin(); it != value.end(); ++it)
      flatten_params_into(it.value(), prefix.empty() ? it.key() : prefix + "/" + it.key(), out);
    return;
  }
  out[prefix] = value;
}

inline nlohmann::json flatten_params(const nlohmann::json& params) {
  nlohmann::json flat = nlohmann::json::object();
  flatten_params_into(params, "", flat);
  return flat;
}

}  // namespace volt::loggers
