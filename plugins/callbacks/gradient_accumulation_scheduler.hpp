// `gradient_accumulation_scheduler`: Lightning's GradientAccumulationScheduler. `scheduling`
// maps a starting epoch to accumulate_grad_batches ({"0": 8, "4": 4, "8": 1}); at the start of
// each training epoch the host's accumulate_grad_batches becomes the factor of the greatest
// epoch key not after it (1 before the first key, as Lightning adds {0: 1}).
#pragma once

#include <volt/sdk.hpp>

#include <map>
#include <string>

namespace volt::callbacks {

class GradientAccumulationScheduler : public Callback {
 public:
  static PluginInfo info() {
    return {"gradient_accumulation_scheduler", "1.0.0",
            "Change accumulate_grad_batches by epoch (Lightning's GradientAccumulationScheduler)",
            R"json({"type": "object", "additionalProperties": false, "required": ["scheduling"],
              "properties": {"scheduling": {"type": "object",
                "additionalProperties": {"type": "integer"},
                "description": "epoch (a string key, from 0) -> accumulate_grad_batches"}}})json"};
  }

  explicit GradientAccumulationScheduler(const nlohmann::json& config) {
    const nlohmann::json& s = config.at("scheduling");
    if (s.empty()) throw Error("Empty dict cannot be interpreted correct");
    for (auto it = s.begin(); it != s.end(); ++it) {
      int64_t epoch = -1;
      try {
        size_t used = 0;
        epoch = std::stoll(it.key(), &used);
        if (used != it.key().size()) epoch = -1;
      } catch (const std::exception&) {
      }
      if (epoch < 0)
        throw Error("Epoch must be a non-negative integer, got '" + it.key() + "' in scheduling");
      int64_t factor = it.value().get<int64_t>();
      if (factor < 1)
        throw Error("Accumulation factor should be an int greater than 0. Got " +
                    std::to_string(factor) + " for epoch " + it.key());
      scheduling_[epoch] = factor;
    }
    scheduling_.emplace(0, 1);  // Lightning: epochs before the first key accumulate 1
  }

  // The factor for `epoch`.
  int64_t factor(int64_t epoch) const { return std::prev(scheduling_.upper_bound(epoch))->second; }

  void on_train_epoch_start() override {
    const volt_host_api& host = volt::detail::host();
    if (!VOLT_HAS_FIELD(&host, volt_host_api, set_accumulate_grad_batches))
      throw Error(VOLT_ERROR_UNIMPLEMENTED,
                  "gradient_accumulation_scheduler needs a host with ABI 1.1 or newer");
    volt::detail::check(host.set_accumulate_grad_batches(context(), factor(trainer_state().current_epoch)),
                        "set_accumulate_grad_batches");
  }

 private:
  std::map<int64_t, int64_t> scheduling_;
};

}  // namespace volt::callbacks
