// Scores in checkpointed callback state as Lightning keeps them: 0-dim float32 tensors (its
// callback metrics' dtype), so that Lightning resuming from a Volt checkpoint, or its
// ModelCheckpoint.to_yaml(), finds tensors where it calls .to() or .item(). Reading accepts
// tensors, numbers and the "inf"/"nan" strings of older Volt checkpoints (load_state_dict's
// JSON form, see score_from_json).
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace volt::callbacks {

inline c10::IValue score_ivalue(double x) { return at::scalar_tensor(x, at::kFloat); }

inline c10::IValue score_ivalue(const std::optional<double>& x) {
  return x ? score_ivalue(*x) : c10::IValue();
}

// Lightning's best_k_models: {path: score tensor}, in insertion order.
inline c10::IValue score_dict_ivalue(const std::vector<std::pair<std::string, double>>& scores) {
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  for (const auto& [path, score] : scores) d.insert(path, score_ivalue(score));
  return d;
}

}  // namespace volt::callbacks
