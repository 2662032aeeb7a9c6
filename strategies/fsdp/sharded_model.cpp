#include "sharded_model.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace volt::strategies::fsdp {

namespace {

std::string parent_of(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? std::string() : name.substr(0, dot);
}

using Dict = c10::impl::GenericDict;

// "step" is a scalar in every optimizer's state (a 0-dim tensor, as Python's); the other
// tensors of a parameter's state are shaped like the parameter.
bool is_step(const c10::IValue& key) { return key.isString() && key.toStringRef() == "step"; }

// Units in registration order; one closes where a submodule ends once it is big enough, so a
// layer's weight and bias always share a unit.
std::vector<NamedTensors> units_by_size(const NamedTensors& params, int64_t min_num_params) {
  std::vector<NamedTensors> groups(1);
  int64_t count = 0;
  std::string last_parent;
  for (const auto& [name, p] : params) {
    std::string parent = parent_of(name);
    if (min_num_params > 0 && count >= min_num_params && parent != last_parent) {
      groups.emplace_back();
      count = 0;
    }
    groups.back().emplace_back(name, p);
    count += p.numel();
    last_parent = parent;
  }
  return groups;
}

// A unit per listed submodule (the innermost listed one that holds a parameter), and one for
// the parameters outside all of them; units in the order their first parameter was registered.
std::vector<NamedTensors> units_by_module(const NamedTensors& params, const std::vector<std::string>& modules) {
  std::vector<std::string> keys;  // per unit: its submodule, "" for the rest
  std::vector<NamedTensors> groups;
  std::set<std::string> used;
  for (const auto& [name, p] : params) {
    std::string key;
    for (const auto& m : modules)
      if (name.size() > m.size() && name.compare(0, m.size(), m) == 0 && name[m.size()] == '.' &&
          m.size() > key.size())
        key = m;
    used.insert(key);
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      keys.push_back(key);
      groups.emplace_back();
      it = keys.end() - 1;
    }
    groups[static_cast<size_t>(it - keys.begin())].emplace_back(name, p);
  }
  for (const auto& m : modules) {
    if (used.count(m)) continue;
    std::set<std::string> available;
    for (const auto& [name, p] : params)
      for (std::string parent = parent_of(name); !parent.empty(); parent = parent_of(parent)) available.insert(parent);
    std::string list;
    for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, "fsdp: wrap_modules names '" + m +
                                                 "', which holds no parameter of its own (the module's submodules: " +
                                                 list + ")");
  }
  return groups;
}

}  // namespace

const char* sharding_name(Sharding s) {
  switch (s) {
    case Sharding::FullShard: return "FULL_SHARD";
    case Sharding::ShardGradOp: return "SHARD_GRAD_OP";
    case Sharding::NoShard: return "NO_SHARD";
  }
  return "?";
}

ShardedModel::ShardedModel(const NamedTensors& params, distributed::ProcessGroup* group, int32_t rank,
                           int32_t world_size, Sharding sharding, const WrapPolicy& policy)
    : group_(group), sharding_(sharding) {
  std::vector<NamedTensors> groups =
      policy.modules.empty() ? units_by_size(params, policy.min_num_params) : units_by_module(params, policy.modules);
  bool sharded = sharding != Sharding::NoShard, keep_full = sharding != Sharding::FullShard;
  for (auto& g : groups) {
    if (g.empty()) continue;
    units_.push_back(std::make_unique<FlatUnit>(std::move(g), rank, world_size, sharded, keep_full));
    const auto& members = units_.back()->members();
    for (size_t i = 0; i < members.size(); ++i)
      where_[members[i].param.unsafeGetTensorImpl()] = {units_.size() - 1, i};
  }
  if (units_.empty()) throw Error(VOLT_ERROR_FAILED_PRECONDITION, "fsdp: the module has no parameters to shard");
  std::vector<FlatUnit*> units;
  for (auto& u : units_) units.push_back(u.get());
  reducer_ = std::make_unique<BackwardReducer>(std::move(units), group_);
}

int64_t ShardedModel::numel() const {
  int64_t n = 0;
  for (const auto& u : units_) n += u->numel();
  return n;
}

int64_t ShardedModel::local_numel() const {
  int64_t n = 0;
  for (const auto& u : units_) n += sharding_ == Sharding::FullShard ? u->shard_numel() : u->numel();
  return n;
}

void ShardedModel::use_compute(at::ScalarType dtype) {
  for (auto& u : units_) u->use_compute(group_, dtype);
}

void ShardedModel::use_master() {
  for (auto& u : units_) u->use_master();
}

void ShardedModel::reduce_gradients() { reducer_->finish(); }

void ShardedModel::clear_gradients() {
  for (auto& u : units_) u->clear_gradients();
}

void ShardedModel::clear_gradients(std::vector<torch::Tensor> params) {
  for (auto& p : params)
    if (find(p) != nullptr) p.mutable_grad() = torch::Tensor();
}

const ShardedModel::Where* ShardedModel::find(const torch::Tensor& param) const {
  auto it = where_.find(param.unsafeGetTensorImpl());
  return it == where_.end() ? nullptr : &it->second;
}

double ShardedModel::clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm,
                                    double norm_type) {
  if (norm_type != 2.0)
    throw Error(VOLT_ERROR_UNIMPLEMENTED, "fsdp: gradient clipping by norm supports the 2-norm only");
  torch::NoGradGuard no_grad;
  double local = 0;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    const torch::Tensor& g = p.grad();
    if (!g.defined()) continue;
    grads.push_back(g);
    if (g.numel() > 0) local += g.to(torch::kDouble).pow(2).sum().item<double>();
  }
  torch::Tensor total = torch::tensor({local}, torch::kDouble);
  if (group_ != nullptr && shards_gradients()) group_->all_reduce(total, Reduce::Sum);
  double norm = std::sqrt(total.item<double>());
  // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
  double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0)
    for (auto& g : grads) g.mul_(coef);
  return norm;
}

std::unordered_map<std::string, torch::Tensor> ShardedModel::full_parameters() {
  std::unordered_map<std::string, torch::Tensor> out;
  for (auto& u : units_) {
    std::vector<torch::Tensor> full = u->full_values(group_);
    for (size_t i = 0; i < full.size(); ++i) out[u->members()[i].name] = full[i];
  }
  return out;
}

std::unordered_map<std::string, c10::IValue> ShardedModel::parameter_shards() const {
  std::unordered_map<std::string, c10::IValue> out;
  for (const auto& u : units_) {
    const auto& members = u->members();
    if (!shards_gradients()) {  // NO_SHARD: every rank holds the whole
      std::vector<torch::Tensor> full = u->full_values(group_);
      for (size_t i = 0; i < members.size(); ++i) out[members[i].name] = full[i];
      continue;
    }
    std::vector<torch::Tensor> local = u->local_values();
    for (size_t i = 0; i < members.size(); ++i) {
      const FlatUnit::Member& m = members[i];
      out[m.name] = shard_entry(local[i], m.local_begin - m.offset, m.sizes);
    }
  }
  return out;
}

c10::IValue ShardedModel::map_parameter_state(const std::vector<torch::Tensor>& params, c10::IValue state,
                                              const StateMap& fn) const {
  if (!shards_gradients() || !state.isGenericDict()) return state;
  Dict root = state.toGenericDict();
  if (!root.contains("state")) return state;
  Dict per_param = root.at("state").toGenericDict();
  for (size_t k = 0; k < params.size(); ++k) {
    const Where* w = find(params[k]);
    if (w == nullptr || !per_param.contains(static_cast<int64_t>(k))) continue;
    Dict d = per_param.at(static_cast<int64_t>(k)).toGenericDict();
    std::vector<std::pair<c10::IValue, c10::IValue>> mapped;  // the dict is not changed while read
    for (const auto& e : d)
      if (!is_step(e.key()) && e.value().isTensor())
        mapped.emplace_back(e.key(), fn(*units_[w->unit], w->member, e.key().toStringRef(), e.value().toTensor()));
    for (auto& [key, value] : mapped) d.insert_or_assign(key, value);
  }
  return state;
}

c10::IValue ShardedModel::mark_optimizer_shards(const std::vector<torch::Tensor>& params,
                                                c10::IValue state) const {
  return map_parameter_state(params, std::move(state), [](const FlatUnit& unit, size_t i, const std::string& key,
                                                          const torch::Tensor& t) {
    const FlatUnit::Member& m = unit.members()[i];
    if (t.dim() != 1 || t.numel() != m.local_numel())
      throw Error(VOLT_ERROR_INTERNAL, "fsdp: the optimizer state '" + key + "' of '" + m.name + "' holds " +
                                           std::to_string(t.numel()) + " elements, this rank's part of it " +
                                           std::to_string(m.local_numel()));
    return shard_entry(t, m.local_begin - m.offset, m.sizes);
  });
}

c10::IValue ShardedModel::gather_optimizer_state(const std::vector<torch::Tensor>& params,
                                                 c10::IValue state) {
  if (!shards_gradients() || !state.isGenericDict()) return state;
  Dict root = state.toGenericDict();
  if (!root.contains("state")) return state;
  Dict per_param = root.at("state").toGenericDict();
  // Per unit, which parameters (by optimizer index) it holds, and the state keys they carry.
  for (size_t u = 0; u < units_.size(); ++u) {
    FlatUnit& unit = *units_[u];
    std::vector<int64_t> index(unit.members().size(), -1);
    std::set<std::string> keys;
    for (size_t k = 0; k < params.size(); ++k) {
      const Where* w = find(params[k]);
      if (w == nullptr || w->unit != u) continue;
      index[w->member] = static_cast<int64_t>(k);
      if (!per_param.contains(static_cast<int64_t>(k))) continue;
      for (const auto& e : per_param.at(static_cast<int64_t>(k)).toGenericDict())
        if (!is_step(e.key()) && e.value().isTensor() && e.value().toTensor().dim() == 1)
          keys.insert(e.key().toStringRef());
    }
    // Every rank holds the same keys (the same optimizer stepped the same parameters), so
    // the gathers below match across ranks.
    for (const auto& key : keys) {
      std::vector<torch::Tensor> local(unit.members().size());
      for (size_t i = 0; i < local.size(); ++i) {
        if (index[i] < 0 || !per_param.contains(index[i])) continue;
        Dict d = per_param.at(index[i]).toGenericDict();
        if (d.contains(key)) local[i] = d.at(key).toTensor();
      }
      std::vector<torch::Tensor> full = unit.gather_members(group_, local);
      for (size_t i = 0; i < local.size(); ++i)
        if (local[i].defined()) per_param.at(index[i]).toGenericDict().insert_or_assign(key, full[i]);
    }
  }
  return state;
}

c10::IValue ShardedModel::split_optimizer_state(const std::vector<torch::Tensor>& params,
                                                c10::IValue state) {
  return map_parameter_state(params, std::move(state), [](const FlatUnit& unit, size_t i, const std::string& key,
                                                          const torch::Tensor& t) {
    const FlatUnit::Member& m = unit.members()[i];
    if (!t.sizes().equals(m.sizes))
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "fsdp: the optimizer state '" + key + "' of parameter '" + m.name + "' has shape " +
                      c10::str(t.sizes()) + ", the parameter " + c10::str(c10::IntArrayRef(m.sizes)));
    return unit.local_part(i, t);
  });
}

}  // namespace volt::strategies::fsdp
