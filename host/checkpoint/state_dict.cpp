#include "checkpoint/state_dict.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <vector>

namespace volt::host {

c10::impl::GenericDict state_dict_of(const NamedTensors& tensors) {
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  for (const auto& [name, t] : tensors) d.insert(name, t.detach());
  return d;
}

namespace {

// "a, b, c and 4 more": long lists of names help nobody.
std::string names(const std::vector<std::string>& items) {
  std::ostringstream s;
  size_t shown = std::min<size_t>(items.size(), 8);
  for (size_t i = 0; i < shown; ++i) s << (i ? ", " : "") << items[i];
  if (items.size() > shown) s << " and " << items.size() - shown << " more";
  return s.str();
}

}  // namespace

void load_state_dict(const NamedTensors& live, const c10::impl::GenericDict& saved,
                     const std::string& source) {
  std::vector<std::string> missing, unexpected, mismatched, not_tensors;
  std::vector<std::pair<at::Tensor, at::Tensor>> copies;
  std::set<std::string> known;
  for (const auto& [name, t] : live) {
    known.insert(name);
    auto it = saved.find(c10::IValue(name));
    if (it == saved.end()) {
      missing.push_back(name);
    } else if (!it->value().isTensor()) {
      not_tensors.push_back(name);
    } else if (it->value().toTensor().sizes() != t.sizes()) {
      std::ostringstream m;
      m << name << " (checkpoint " << it->value().toTensor().sizes() << ", module " << t.sizes()
        << ")";
      mismatched.push_back(m.str());
    } else {
      copies.emplace_back(t, it->value().toTensor());
    }
  }
  for (const auto& e : saved)
    if (!e.key().isString() || known.count(e.key().toStringRef()) == 0)
      unexpected.push_back(e.key().isString() ? e.key().toStringRef() : e.key().tagKind());
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty() || !not_tensors.empty()) {
    std::string m = "the state_dict in " + source + " does not fit the module";
    if (!missing.empty()) m += "; missing keys: " + names(missing);
    if (!unexpected.empty()) m += "; unexpected keys: " + names(unexpected);
    if (!mismatched.empty()) m += "; shape mismatch: " + names(mismatched);
    if (!not_tensors.empty()) m += "; not tensors: " + names(not_tensors);
    throw Error(VOLT_ERROR_INVALID_ARGUMENT, m);
  }
  torch::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst.copy_(src);
}

}  // namespace volt::host
