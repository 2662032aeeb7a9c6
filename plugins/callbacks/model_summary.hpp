// `model_summary`: Lightning's ModelSummary callback: prints the layers down to max_depth with
// their parameter counts when fit starts (rank 0). Configuring it replaces the host's default
// summary (trainer.enable_model_summary), as in Lightning.
#pragma once

#include <volt/sdk.hpp>
#include <volt/sdk/model_summary.hpp>

#include <cstdio>

namespace volt::callbacks {

class ModelSummary : public Callback {
 public:
  static PluginInfo info() {
    return {"model_summary", "1.0.0", "Print the model's layers when fit starts (Lightning's ModelSummary)",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "max_depth": {"type": "integer", "minimum": -1, "default": 1,
                            "description": "layer depth to show (-1: all, 0: no summary)"}}})json"};
  }

  explicit ModelSummary(const nlohmann::json& config) : max_depth_(config.value("max_depth", 1)) {}

  void on_fit_start() override {
    // Lightning: max_depth=0 turns the summary off.
    if (max_depth_ == 0 || trainer_state().global_rank != 0 || module().get() == nullptr) return;
    print_model_summary(module().get(), max_depth_, stdout);
  }

 private:
  int32_t max_depth_;
};

}  // namespace volt::callbacks
