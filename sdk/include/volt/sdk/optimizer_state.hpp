// PyTorch's optimizer.state_dict() for the torch::optim optimizers, so that checkpoints hold
// what Python's torch.optim writes and load_state_dict accepts:
//   {"state": {index: {"step": tensor, "exp_avg": ..., ...}},
//    "param_groups": [{"lr": .., "betas": (b1, b2), ..., "params": [0, 1, ...]}]}
// Parameter indices run over the groups in order, as in Python. Loading restores the state
// tensors and the group options exactly (bitwise), so a resumed run continues identically.
#pragma once

#include <volt/sdk/core.hpp>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace volt::detail::optim_state {

using c10::IValue;
using Dict = c10::impl::GenericDict;

// LibTorch keys its per-parameter state by TensorImpl: a string of the address in 1.13, the
// pointer itself in later releases. Deduced from the map so both compile.
template <class Map>
typename Map::key_type param_key(const Map&, const at::Tensor& p) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << static_cast<const void*>(p.unsafeGetTensorImpl());
    return s.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

inline Dict new_dict() { return Dict(c10::StringType::get(), c10::AnyType::get()); }

inline const IValue* find(const Dict& d, const char* key) {
  auto it = d.find(IValue(std::string(key)));
  return it == d.end() ? nullptr : &it->value();
}

// Python writes 0 for some float options (weight_decay=0): accept ints and one-element tensors.
inline double number(const IValue& v, const char* key) {
  if (v.isDouble()) return v.toDouble();
  if (v.isInt()) return static_cast<double>(v.toInt());
  if (v.isBool()) return v.toBool() ? 1.0 : 0.0;
  if (v.isTensor() && v.toTensor().numel() == 1) return v.toTensor().item<double>();
  throw Error(std::string("optimizer state: '") + key + "' is not a number");
}

inline void read(const Dict& d, const char* key, double& out) {
  if (const IValue* v = find(d, key)) out = number(*v, key);
}
inline void read(const Dict& d, const char* key, bool& out) {
  if (const IValue* v = find(d, key)) out = number(*v, key) != 0.0;
}
inline void read(const Dict& d, const char* key, std::tuple<double, double>& out) {
  const IValue* v = find(d, key);
  if (v == nullptr) return;
  c10::ArrayRef<IValue> items;
  if (v->isTuple()) items = v->toTupleRef().elements();
  else if (v->isList()) items = v->toListRef();
  if (items.size() != 2) throw Error(std::string("optimizer state: '") + key + "' is not a pair");
  out = std::make_tuple(number(items[0], key), number(items[1], key));
}

// Python keeps "step" as a float tensor since 1.12. Float64 here: exact for any step count.
inline IValue step_value(int64_t step) {
  return IValue(at::scalar_tensor(static_cast<double>(step), at::kDouble));
}
template <class Int>
void read_step(const Dict& d, Int& out) {
  if (const IValue* v = find(d, "step")) out = static_cast<Int>(number(*v, "step"));
}

// A saved state tensor on the parameter's device and dtype, for the optimizer to own. Kept
// as it is when it already matches: the host hands over tensors it no longer needs
// (volt/c/state.h lets the plugin retain them), so a 100M-parameter Adam state loads without
// another copy.
inline at::Tensor state_tensor(const IValue& v, const at::Tensor& param, const char* key) {
  if (!v.isTensor()) throw Error(std::string("optimizer state: '") + key + "' is not a tensor");
  const at::Tensor& t = v.toTensor();
  if (t.sizes() != param.sizes()) {
    std::ostringstream m;
    m << "optimizer state: '" << key << "' has shape " << t.sizes() << " but its parameter has "
      << param.sizes();
    throw Error(m.str());
  }
  return t.to(param.device(), param.scalar_type(), /*non_blocking=*/false, /*copy=*/false);
}
inline void put(Dict& d, const char* key, const at::Tensor& t) {
  if (t.defined()) d.insert(key, t.detach());
}
// The saved tensor for `key`, or an undefined tensor when absent (and allowed to be).
inline at::Tensor take(const Dict& d, const char* key, const at::Tensor& param, bool required) {
  const IValue* v = find(d, key);
  if (v == nullptr || v->isNone()) {
    if (required) throw Error(std::string("optimizer state: missing '") + key + "'");
    return {};
  }
  return state_tensor(*v, param, key);
}

// --- one codec per optimizer class: group options and per-parameter state -----------------

struct SgdCodec {
  using Optimizer = torch::optim::SGD;
  using Options = torch::optim::SGDOptions;
  using State = torch::optim::SGDParamState;
  static constexpr bool kStateForEveryParam = false;
  static void save(const Options& o, Dict& g) {
    g.insert("lr", o.lr());
    g.insert("momentum", o.momentum());
    g.insert("dampening", o.dampening());
    g.insert("weight_decay", o.weight_decay());
    g.insert("nesterov", o.nesterov());
  }
  static void load(Options& o, const Dict& g) {
    double lr = o.lr(), momentum = o.momentum(), dampening = o.dampening(), wd = o.weight_decay();
    bool nesterov = o.nesterov();
    read(g, "lr", lr), read(g, "momentum", momentum), read(g, "dampening", dampening);
    read(g, "weight_decay", wd), read(g, "nesterov", nesterov);
    o.lr(lr).momentum(momentum).dampening(dampening).weight_decay(wd).nesterov(nesterov);
  }
  static void save(const State& s, Dict& d) { put(d, "momentum_buffer", s.momentum_buffer()); }
  static void load(State& s, const Dict& d, const at::Tensor& p) {
    s.momentum_buffer(take(d, "momentum_buffer", p, false));
  }
};

// Adam and AdamW have the same options and state.
template <class Opt, class Opts, class St>
struct AdamCodecT {
  using Optimizer = Opt;
  using Options = Opts;
  using State = St;
  static constexpr bool kStateForEveryParam = false;
  static void save(const Options& o, Dict& g) {
    g.insert("lr", o.lr());
    g.insert("betas", c10::ivalue::Tuple::create({std::get<0>(o.betas()), std::get<1>(o.betas())}));
    g.insert("eps", o.eps());
    g.insert("weight_decay", o.weight_decay());
    g.insert("amsgrad", o.amsgrad());
  }
  static void load(Options& o, const Dict& g) {
    double lr = o.lr(), eps = o.eps(), wd = o.weight_decay();
    bool amsgrad = o.amsgrad();
    std::tuple<double, double> betas = o.betas();
    read(g, "lr", lr), read(g, "eps", eps), read(g, "weight_decay", wd);
    read(g, "amsgrad", amsgrad), read(g, "betas", betas);
    o.lr(lr).eps(eps).weight_decay(wd).amsgrad(amsgrad).betas(betas);
  }
  static void save(const State& s, Dict& d) {
    d.insert("step", step_value(s.step()));
    put(d, "exp_avg", s.exp_avg());
    put(d, "exp_avg_sq", s.exp_avg_sq());
    put(d, "max_exp_avg_sq", s.max_exp_avg_sq());
  }
  static void load(State& s, const Dict& d, const at::Tensor& p) {
    auto step = s.step();
    read_step(d, step);
    s.step(step);
    s.exp_avg(take(d, "exp_avg", p, true));
    s.exp_avg_sq(take(d, "exp_avg_sq", p, true));
    s.max_exp_avg_sq(take(d, "max_exp_avg_sq", p, false));
  }
};
using AdamCodec = AdamCodecT<torch::optim::Adam, torch::optim::AdamOptions,
                             torch::optim::AdamParamState>;
using AdamWCodec = AdamCodecT<torch::optim::AdamW, torch::optim::AdamWOptions,
                              torch::optim::AdamWParamState>;

struct RmspropCodec {
  using Optimizer = torch::optim::RMSprop;
  using Options = torch::optim::RMSpropOptions;
  using State = torch::optim::RMSpropParamState;
  static constexpr bool kStateForEveryParam = false;
  static void save(const Options& o, Dict& g) {
    g.insert("lr", o.lr());
    g.insert("alpha", o.alpha());
    g.insert("eps", o.eps());
    g.insert("weight_decay", o.weight_decay());
    g.insert("momentum", o.momentum());
    g.insert("centered", o.centered());
  }
  static void load(Options& o, const Dict& g) {
    double lr = o.lr(), alpha = o.alpha(), eps = o.eps(), wd = o.weight_decay(), m = o.momentum();
    bool centered = o.centered();
    read(g, "lr", lr), read(g, "alpha", alpha), read(g, "eps", eps);
    read(g, "weight_decay", wd), read(g, "momentum", m), read(g, "centered", centered);
    o.lr(lr).alpha(alpha).eps(eps).weight_decay(wd).momentum(m).centered(centered);
  }
  static void save(const State& s, Dict& d) {
    d.insert("step", step_value(s.step()));
    put(d, "square_avg", s.square_avg());
    put(d, "momentum_buffer", s.momentum_buffer());
    put(d, "grad_avg", s.grad_avg());
  }
  static void load(State& s, const Dict& d, const at::Tensor& p) {
    auto step = s.step();
    read_step(d, step);
    s.step(step);
    s.square_avg(take(d, "square_avg", p, true));
    s.momentum_buffer(take(d, "momentum_buffer", p, false));
    s.grad_avg(take(d, "grad_avg", p, false));
  }
};

struct AdagradCodec {
  using Optimizer = torch::optim::Adagrad;
  using Options = torch::optim::AdagradOptions;
  using State = torch::optim::AdagradParamState;
  // LibTorch's Adagrad creates its state in the constructor and never checks for it again.
  static constexpr bool kStateForEveryParam = true;
  static void save(const Options& o, Dict& g) {
    g.insert("lr", o.lr());
    g.insert("lr_decay", o.lr_decay());
    g.insert("weight_decay", o.weight_decay());
    g.insert("initial_accumulator_value", o.initial_accumulator_value());
    g.insert("eps", o.eps());
  }
  static void load(Options& o, const Dict& g) {
    double lr = o.lr(), decay = o.lr_decay(), wd = o.weight_decay(), init = o.initial_accumulator_value(),
           eps = o.eps();
    read(g, "lr", lr), read(g, "lr_decay", decay), read(g, "weight_decay", wd);
    read(g, "initial_accumulator_value", init), read(g, "eps", eps);
    o.lr(lr).lr_decay(decay).weight_decay(wd).initial_accumulator_value(init).eps(eps);
  }
  static void save(const State& s, Dict& d) {
    d.insert("step", step_value(s.step()));
    put(d, "sum", s.sum());
  }
  static void load(State& s, const Dict& d, const at::Tensor& p) {
    auto step = s.step();
    read_step(d, step);
    s.step(step);
    s.sum(take(d, "sum", p, true));
  }
};

// --- the generic walk over groups and parameters --------------------------------------------

template <class Codec>
IValue save(const torch::optim::Optimizer& optimizer) {
  Dict state(c10::IntType::get(), c10::AnyType::get());
  c10::impl::GenericList groups(c10::AnyType::get());
  int64_t index = 0;
  for (const auto& group : optimizer.param_groups()) {
    Dict g = new_dict();
    Codec::save(static_cast<const typename Codec::Options&>(group.options()), g);
    c10::impl::GenericList params(c10::AnyType::get());
    for (const auto& p : group.params()) {
      params.push_back(index);
      auto it = optimizer.state().find(param_key(optimizer.state(), p));
      if (it != optimizer.state().end()) {
        Dict s = new_dict();
        Codec::save(static_cast<const typename Codec::State&>(*it->second), s);
        state.insert(index, s);
      }
      ++index;
    }
    g.insert("params", params);
    groups.push_back(g);
  }
  Dict out = new_dict();
  out.insert("state", state);
  out.insert("param_groups", groups);
  return out;
}

inline Dict as_dict(const IValue& v, const char* what) {
  if (!v.isGenericDict()) throw Error(std::string("optimizer state: ") + what + " is not a dict");
  return v.toGenericDict();
}

template <class Codec>
void load(torch::optim::Optimizer& optimizer, const IValue& saved) {
  const Dict& root = as_dict(saved, "the state_dict");
  const IValue* groups_v = find(root, "param_groups");
  const IValue* state_v = find(root, "state");
  if (groups_v == nullptr || !groups_v->isList() || state_v == nullptr)
    throw Error("optimizer state: expected 'state' and 'param_groups'");
  c10::ArrayRef<IValue> groups = groups_v->toListRef();
  auto& live = optimizer.param_groups();
  if (groups.size() != live.size())
    throw Error("optimizer state has " + std::to_string(groups.size()) +
                " parameter groups, the optimizer has " + std::to_string(live.size()));
  // Check every group before changing anything: a failed load leaves the optimizer as it was.
  std::vector<at::Tensor> by_index;
  for (size_t g = 0; g < live.size(); ++g) {
    const IValue* params = find(as_dict(groups[g], "a param group"), "params");
    size_t saved_count = params != nullptr && params->isList() ? params->toListRef().size() : 0;
    if (saved_count != live[g].params().size())
      throw Error("optimizer state: group " + std::to_string(g) + " has " +
                  std::to_string(saved_count) + " parameters, the optimizer has " +
                  std::to_string(live[g].params().size()));
    for (const auto& p : live[g].params()) by_index.push_back(p);
  }
  // Python's indices refer to the saved "params" lists; map them to the live parameters.
  std::map<int64_t, at::Tensor> param_of;
  size_t k = 0;
  for (const auto& gv : groups)
    for (const IValue idx : find(gv.toGenericDict(), "params")->toListRef())
      param_of[idx.toInt()] = by_index[k++];
  std::vector<std::pair<at::Tensor, std::unique_ptr<typename Codec::State>>> states;
  for (const auto& e : as_dict(*state_v, "'state'")) {
    auto p = param_of.find(e.key().toInt());
    if (p == param_of.end())
      throw Error("optimizer state: state for unknown parameter index " +
                  std::to_string(e.key().toInt()));
    auto s = std::make_unique<typename Codec::State>();
    Codec::load(*s, as_dict(e.value(), "a parameter state"), p->second);
    states.emplace_back(p->second, std::move(s));
  }
  if (Codec::kStateForEveryParam && states.size() != by_index.size())
    throw Error("optimizer state: " + std::to_string(by_index.size() - states.size()) +
                " parameters have no saved state, which this optimizer requires");
  for (size_t g = 0; g < live.size(); ++g)
    Codec::load(static_cast<typename Codec::Options&>(live[g].options()),
                groups[g].toGenericDict());
  optimizer.state().clear();
  for (auto& [p, s] : states) optimizer.state()[param_key(optimizer.state(), p)] = std::move(s);
}

// Dispatch on the optimizer's class.
template <class Fn>
auto with_codec(const torch::optim::Optimizer& o, Fn&& fn) {
  if (dynamic_cast<const torch::optim::AdamW*>(&o)) return fn(AdamWCodec{});
  if (dynamic_cast<const torch::optim::Adam*>(&o)) return fn(AdamCodec{});
  if (dynamic_cast<const torch::optim::SGD*>(&o)) return fn(SgdCodec{});
  if (dynamic_cast<const torch::optim::RMSprop*>(&o)) return fn(RmspropCodec{});
  if (dynamic_cast<const torch::optim::Adagrad*>(&o)) return fn(AdagradCodec{});
  throw Error(VOLT_ERROR_UNIMPLEMENTED,
              "saving the state of this optimizer class is not supported (SGD, Adam, AdamW, "
              "RMSprop and Adagrad are)");
}

}  // namespace volt::detail::optim_state

namespace volt::detail {

// The optimizer's state_dict in PyTorch's layout.
inline c10::IValue optimizer_state_dict(const torch::optim::Optimizer& o) {
  return optim_state::with_codec(o, [&](auto codec) {
    return optim_state::save<decltype(codec)>(o);
  });
}

// Restores a state_dict written by optimizer_state_dict or by Python's torch.optim.
inline void load_optimizer_state_dict(torch::optim::Optimizer& o, const c10::IValue& state) {
  optim_state::with_codec(o, [&](auto codec) {
    optim_state::load<decltype(codec)>(o, state);
    return 0;
  });
}

}  // namespace volt::detail
