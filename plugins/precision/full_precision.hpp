// `32-true`: full single precision. Parameters and inputs stay float32, no autocast, no loss
// scaling; every hook keeps the PrecisionPlugin defaults.
#pragma once

#include <volt/sdk.hpp>

namespace volt::plugins {

class FullPrecision : public PrecisionPlugin {
 public:
  static PluginInfo info() {
    return {"32-true", "1.0.0", "Full float32 precision (Lightning's 32-true)",
            R"json({"type": "object", "additionalProperties": false, "properties": {}})json"};
  }
  explicit FullPrecision(const nlohmann::json& /*config*/) {}
  std::string name() const override { return "32-true"; }
};

}  // namespace volt::plugins
