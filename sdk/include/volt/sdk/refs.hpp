// Non-owning C++ views over a module and an optimizer that live in another plugin, as
// strategies, precision plugins and callbacks see them (only through the C tables).
#pragma once

#include <volt/sdk/types.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace volt {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

class ModuleRef {
 public:
  explicit ModuleRef(volt_module* m = nullptr) : m_(m) {}
  volt_module* get() const { return m_; }
  explicit operator bool() const { return m_ != nullptr; }

  NamedTensors named_parameters() const { return named(VOLT_TENSORS_PARAMETERS); }
  NamedTensors named_buffers() const { return named(VOLT_TENSORS_BUFFERS); }
  std::vector<torch::Tensor> parameters() const {
    std::vector<torch::Tensor> out;
    for (auto& kv : named_parameters()) out.push_back(std::move(kv.second));
    return out;
  }
  void to(const std::string& device) const {
    detail::check(m_->to(m_, device.c_str(), -1, 0), "module.to");
  }
  void to(const std::string& device, torch::Dtype dtype) const {
    int32_t code = dtype == torch::kBFloat16 ? VOLT_DL_BFLOAT : VOLT_DL_FLOAT;
    int32_t bits = static_cast<int32_t>(c10::elementSize(dtype) * 8);
    detail::check(m_->to(m_, device.c_str(), code, bits), "module.to");
  }
  void train(bool mode = true) const { detail::check(m_->set_training(m_, mode), "module.train"); }
  // loss.backward(), or the module's own backward hook when it has one (ABI 1.10): what a
  // strategy's backward calls, so that a module overriding backward is honoured.
  void backward(const torch::Tensor& loss) const {
    bool own = m_ != nullptr && VOLT_HAS_FIELD(m_, volt_module, implements_hook) &&
               m_->implements_hook != nullptr && m_->implements_hook(m_, VOLT_HOOK_BACKWARD);
    if (!own) {
      loss.backward();
      return;
    }
    volt_hook_args a{};
    a.struct_size = volt::abi_size(&a);
    a.loss = borrow(loss);
    a.module = m_;
    a.gradient_clip_val = std::nan("");
    detail::check(m_->on_hook(m_, VOLT_HOOK_BACKWARD, &a), "backward");
  }

 private:
  NamedTensors named(int32_t which) const {
    NamedTensors out;
    detail::check(m_->named_tensors(
                      m_, which,
                      [](void* ctx, const char* name, volt_tensor* t) {
                        static_cast<NamedTensors*>(ctx)->emplace_back(name, unwrap(t));
                      },
                      &out),
                  "module.named_tensors");
    return out;
  }
  volt_module* m_;
};

class OptimizerRef {
 public:
  explicit OptimizerRef(volt_optimizer* o = nullptr) : o_(o) {}
  volt_optimizer* get() const { return o_; }
  std::string name() const { return o_->name(o_); }
  void step() const { detail::check(o_->step(o_), "optimizer.step"); }
  void zero_grad(bool set_to_none = true) const {
    detail::check(o_->zero_grad(o_, set_to_none), "optimizer.zero_grad");
  }
  size_t param_group_count() const { return o_->param_group_count(o_); }
  double lr(size_t group = 0) const { return o_->get_lr(o_, group); }
  void set_lr(size_t group, double lr) const { o_->set_lr(o_, group, lr); }
  std::vector<torch::Tensor> params(size_t group) const {
    std::vector<torch::Tensor> out;
    o_->visit_params(o_, group,
                     [](void* ctx, const char*, volt_tensor* t) {
                       static_cast<std::vector<torch::Tensor>*>(ctx)->push_back(unwrap(t));
                     },
                     &out);
    return out;
  }
  std::vector<torch::Tensor> params() const {
    std::vector<torch::Tensor> out;
    for (size_t g = 0; g < param_group_count(); ++g)
      for (auto& p : params(g)) out.push_back(std::move(p));
    return out;
  }

 private:
  volt_optimizer* o_;
};

}  // namespace volt
