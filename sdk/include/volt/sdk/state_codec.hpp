// State dicts as IValues <-> volt/c/state.h's JSON structure plus tensor handles. Both sides
// use it: plugins to write and read optimizer and scheduler state, the host to turn it into
// checkpoint entries. No tensor data is copied.
#pragma once

#include <volt/sdk/core.hpp>
#include <volt/sdk/ivalue_json.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace volt {

namespace detail {

inline nlohmann::json encode_float(double d) {
  if (std::isfinite(d)) return d;
  // JSON has no inf or NaN: tagged, so that e.g. ReduceLROnPlateau's best=inf survives.
  return {{"__float__", std::isnan(d) ? "nan" : d > 0 ? "inf" : "-inf"}};
}

}  // namespace detail

// `v` as the tagged JSON structure; its tensors are appended to `tensors`.
inline nlohmann::json encode_state(const c10::IValue& v, std::vector<at::Tensor>& tensors) {
  if (v.isNone()) return nullptr;
  if (v.isBool()) return v.toBool();
  if (v.isInt()) return v.toInt();
  if (v.isDouble()) return detail::encode_float(v.toDouble());
  if (v.isString()) return v.toStringRef();
  if (v.isTensor()) {
    tensors.push_back(v.toTensor());
    return {{"__tensor__", tensors.size() - 1}};
  }
  if (v.isTuple()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& e : v.toTupleRef().elements()) items.push_back(encode_state(e, tensors));
    return {{"__tuple__", items}};
  }
  if (v.isList()) {
    nlohmann::json items = nlohmann::json::array();
    for (const c10::IValue e : v.toListRef()) items.push_back(encode_state(e, tensors));
    return items;
  }
  if (v.isGenericDict()) {
    const auto& d = v.toGenericDict();
    bool int_keys = !d.empty() && d.begin()->key().isInt();
    if (int_keys) {
      nlohmann::json pairs = nlohmann::json::array();
      for (const auto& e : d) {
        if (!e.key().isInt()) throw Error("a state dict mixes integer and other keys");
        pairs.push_back({e.key().toInt(), encode_state(e.value(), tensors)});
      }
      return {{"__int_dict__", pairs}};
    }
    nlohmann::json o = nlohmann::json::object();
    for (const auto& e : d) {
      if (!e.key().isString()) throw Error("state dict keys must be strings or integers");
      o[e.key().toStringRef()] = encode_state(e.value(), tensors);
    }
    return o;
  }
  throw Error("a state dict cannot hold a value of type " + v.tagKind());
}

// The inverse of encode_state: json_to_ivalue's conversion, plus the tags. Throws volt::Error for
// a malformed structure.
inline c10::IValue decode_state(const nlohmann::json& j, const std::vector<at::Tensor>& tensors) {
  using J = nlohmann::json;
  switch (j.type()) {
    case J::value_t::array: {
      c10::impl::GenericList list(c10::AnyType::get());
      for (const auto& e : j) list.push_back(decode_state(e, tensors));
      return list;
    }
    case J::value_t::object: {
      if (j.size() == 1 && j.contains("__tensor__")) {
        size_t k = j["__tensor__"].get<size_t>();
        if (k >= tensors.size())
          throw Error("state dict refers to tensor " + std::to_string(k) + " of " +
                      std::to_string(tensors.size()));
        return tensors[k];
      }
      if (j.size() == 1 && j.contains("__float__")) {
        std::string s = j["__float__"].get<std::string>();
        if (s == "nan") return std::nan("");
        return s == "-inf" ? -HUGE_VAL : HUGE_VAL;
      }
      if (j.size() == 1 && j.contains("__tuple__")) {
        std::vector<c10::IValue> items;
        for (const auto& e : j["__tuple__"]) items.push_back(decode_state(e, tensors));
        return c10::ivalue::Tuple::create(std::move(items));
      }
      if (j.size() == 1 && j.contains("__int_dict__")) {
        c10::impl::GenericDict d(c10::IntType::get(), c10::AnyType::get());
        for (const auto& p : j["__int_dict__"]) d.insert(p.at(0).get<int64_t>(), decode_state(p.at(1), tensors));
        return d;
      }
      c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
      for (auto it = j.begin(); it != j.end(); ++it) d.insert(it.key(), decode_state(it.value(), tensors));
      return d;
    }
    default: return json_to_ivalue(j);  // scalars
  }
}

// Plugin side: hands `state` to the host's sink (tensors borrowed for the call).
inline void write_state(const c10::IValue& state, const volt_state_sink* sink) {
  std::vector<at::Tensor> tensors;
  std::string json = encode_state(state, tensors).dump();
  for (size_t k = 0; k < tensors.size(); ++k) sink->tensor(sink->ctx, k, borrow(tensors[k]));
  sink->structure(sink->ctx, json.c_str());
}

// Plugin side: the state the host passed (tensors shared, not copied).
inline c10::IValue read_state(const volt_state_view* view) {
  if (view == nullptr || view->json == nullptr) throw Error("no state to load");
  std::vector<at::Tensor> tensors;
  for (size_t k = 0; k < view->tensor_count; ++k) tensors.push_back(unwrap(view->tensors[k]));
  nlohmann::json j = nlohmann::json::parse(view->json, nullptr, false);
  if (j.is_discarded()) throw Error("the state's structure is not valid JSON");
  return decode_state(j, tensors);
}

// Host side: a sink that collects what a plugin writes.
class StateCollector {
 public:
  StateCollector() {
    sink_.ctx = this;
    sink_.tensor = [](void* ctx, size_t k, volt_tensor* t) {
      auto* self = static_cast<StateCollector*>(ctx);
      if (self->tensors_.size() <= k) self->tensors_.resize(k + 1);
      self->tensors_[k] = unwrap(t);  // a new reference to the same tensor
    };
    sink_.structure = [](void* ctx, const char* json) {
      static_cast<StateCollector*>(ctx)->json_ = json != nullptr ? json : "";
    };
  }
  StateCollector(const StateCollector&) = delete;
  StateCollector& operator=(const StateCollector&) = delete;

  const volt_state_sink* sink() const { return &sink_; }
  // None when the plugin wrote nothing.
  c10::IValue value() const {
    if (json_.empty()) return c10::IValue();
    nlohmann::json j = nlohmann::json::parse(json_, nullptr, false);
    if (j.is_discarded()) throw Error("the plugin wrote a state whose structure is not valid JSON");
    return decode_state(j, tensors_);
  }

 private:
  volt_state_sink sink_{};
  std::vector<at::Tensor> tensors_;
  std::string json_;
};

// Host side: `state` as a view for a plugin's load_state; lives as long as this object.
class StateView {
 public:
  explicit StateView(const c10::IValue& state) {
    json_ = encode_state(state, tensors_).dump();
    for (const auto& t : tensors_) handles_.push_back(borrow(t));
    view_.struct_size = volt::abi_size(&view_);
    view_.json = json_.c_str();
    view_.tensor_count = handles_.size();
    view_.tensors = handles_.data();
  }
  StateView(const StateView&) = delete;
  StateView& operator=(const StateView&) = delete;
  const volt_state_view* get() const { return &view_; }

 private:
  std::vector<at::Tensor> tensors_;
  std::vector<volt_tensor*> handles_;
  std::string json_;
  volt_state_view view_{};
};

}  // namespace volt
