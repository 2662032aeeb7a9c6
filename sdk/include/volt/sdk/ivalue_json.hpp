// JSON <-> c10::IValue for the parts of a checkpoint that plugins express as JSON (callback
// state, scheduler state, hyper-parameters). Objects become dicts with string keys and arrays
// become untyped lists, which pickle as plain Python dicts and lists.
#pragma once

#include <volt/sdk/core.hpp>

#include <nlohmann/json.hpp>

#include <limits>
#include <string>

namespace volt {

inline c10::IValue json_to_ivalue(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return c10::IValue();
    case nlohmann::json::value_t::boolean: return c10::IValue(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return c10::IValue(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      // Python ints are unbounded, IValue ints are not: keep the value as a float beyond int64.
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return c10::IValue(static_cast<double>(u));
      return c10::IValue(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: return c10::IValue(j.get<double>());
    case nlohmann::json::value_t::string: return c10::IValue(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      c10::impl::GenericList list(c10::AnyType::get());
      for (const auto& item : j) list.push_back(json_to_ivalue(item));
      return c10::IValue(list);
    }
    case nlohmann::json::value_t::object: {
      c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
      for (auto it = j.begin(); it != j.end(); ++it) dict.insert(it.key(), json_to_ivalue(it.value()));
      return c10::IValue(dict);
    }
    default: throw Error("cannot convert JSON value " + j.dump() + " to a checkpoint value");
  }
}

// Tensors become a number (one element) or a flat array; dict keys become strings. Anything
// else (objects of unknown Python classes) is an error naming the type.
inline nlohmann::json ivalue_to_json(const c10::IValue& v) {
  if (v.isNone()) return nullptr;
  if (v.isBool()) return v.toBool();
  if (v.isInt()) return v.toInt();
  if (v.isDouble()) return v.toDouble();
  if (v.isString()) return v.toStringRef();
  if (v.isTensor()) {
    at::Tensor t = v.toTensor().detach().to(at::kCPU, at::kDouble).contiguous();
    if (t.numel() == 1) return t.item<double>();
    nlohmann::json a = nlohmann::json::array();
    const double* p = t.data_ptr<double>();
    for (int64_t i = 0; i < t.numel(); ++i) a.push_back(p[i]);
    return a;
  }
  if (v.isList() || v.isTuple()) {
    nlohmann::json a = nlohmann::json::array();
    if (v.isTuple()) {
      for (const auto& e : v.toTupleRef().elements()) a.push_back(ivalue_to_json(e));
    } else {
      for (const c10::IValue e : v.toListRef()) a.push_back(ivalue_to_json(e));
    }
    return a;
  }
  if (v.isGenericDict()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& e : v.toGenericDict()) {
      const c10::IValue& k = e.key();
      std::string key = k.isString() ? k.toStringRef()
                        : k.isInt()  ? std::to_string(k.toInt())
                                     : ivalue_to_json(k).dump();
      o[key] = ivalue_to_json(e.value());
    }
    return o;
  }
  throw Error("cannot convert a checkpoint value of type " + v.tagKind() + " to JSON");
}

}  // namespace volt
