// volt::RunServices: what a LightningModule or a Callback may ask of the running trainer,
// under Lightning's names: self.log, and the collectives across ranks that Lightning offers
// as LightningModule.all_gather and trainer.strategy.reduce / broadcast / barrier. They run
// through the host (ABI 1.8) and the strategy it runs: with one process each gives its input
// back. Every rank must make the same collective calls in the same order.
#pragma once

#include <volt/sdk/types.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace volt {

class RunServices : public PluginBase {
 public:
  // --- Lightning's self.log (where Lightning allows it; elsewhere an error naming the hook) ---
  void log(const std::string& name, const torch::Tensor& value, const LogOptions& o = {}) {
    log_impl(name, &value, 0.0, o);
  }
  void log(const std::string& name, double value, const LogOptions& o = {}) {
    log_impl(name, nullptr, value, o);
  }

  // --- collectives across ranks (values are detached, on the strategy's device) ---
  // Every rank's `t` (same shape on every rank) stacked along a new first dimension.
  torch::Tensor all_gather(const torch::Tensor& t) const {
    return collective([&](volt_tensor** out) {
      return host_api("all_gather").all_gather(context(), borrow(t), out);
    });
  }
  // The reduction of `t` over all ranks (Mean divides by the number of ranks).
  torch::Tensor reduce(const torch::Tensor& t, Reduce op = Reduce::Mean) const {
    return collective([&](volt_tensor** out) {
      return host_api("reduce").reduce(context(), borrow(t), static_cast<int32_t>(op), out);
    });
  }
  // Rank `src`'s `t` on every rank.
  torch::Tensor broadcast(const torch::Tensor& t, int32_t src = 0) const {
    return collective([&](volt_tensor** out) {
      return host_api("broadcast").broadcast(context(), borrow(t), src, out);
    });
  }
  void barrier(const std::string& name = "") const {
    detail::check(host_api("barrier").barrier(context(), name.c_str()));
  }

  // The names in Lightning's trainer.callback_metrics, for messages that list them; empty
  // from a host older than ABI 1.10.
  std::vector<std::string> callback_metric_names() const {
    const volt_host_api& h = detail::host();
    if (!VOLT_HAS_FIELD(&h, volt_host_api, callback_metrics_json) || context() == nullptr) return {};
    nlohmann::json j = nlohmann::json::parse(h.callback_metrics_json(context()), nullptr, false);
    std::vector<std::string> names;
    if (j.is_object())
      for (const auto& item : j.items()) names.push_back(item.key());
    return names;
  }

 private:
  // The host table, when it is new enough to have the collectives.
  static const volt_host_api& host_api(const char* what) {
    const volt_host_api& h = detail::host();
    if (!VOLT_HAS_FIELD(&h, volt_host_api, barrier))
      throw Error(VOLT_ERROR_UNIMPLEMENTED,
                  std::string(what) + ": the host is older than ABI 1.8 and has no collectives");
    return h;
  }
  // Runs a host collective and takes the new reference it returned.
  template <class Call>
  static torch::Tensor collective(Call call) {
    volt_tensor* out = nullptr;
    detail::check(call(&out));
    torch::Tensor r = unwrap(out);
    detail::host().tensor_release(out);
    return r;
  }
  void log_impl(const std::string& name, const torch::Tensor* value, double scalar,
                const LogOptions& o) {
    volt_log_args a{};
    a.struct_size = volt::abi_size(&a);
    a.name = name.c_str();
    a.value = value != nullptr ? borrow(*value) : nullptr;
    a.scalar = scalar;
    a.on_step = o.on_step_ ? (*o.on_step_ ? VOLT_TRUE : VOLT_FALSE) : VOLT_DEFAULT;
    a.on_epoch = o.on_epoch_ ? (*o.on_epoch_ ? VOLT_TRUE : VOLT_FALSE) : VOLT_DEFAULT;
    a.reduce_fx = static_cast<int32_t>(o.reduce_fx_);
    a.prog_bar = o.prog_bar_;
    a.logger = o.logger_;
    a.sync_dist = o.sync_dist_;
    a.rank_zero_only = o.rank_zero_only_;
    a.batch_size = o.batch_size_;
    detail::check(detail::host().log_metric(context(), &a));
  }
};

}  // namespace volt
