// A C++ plugin (through the SDK's VOLT_PLUGINS) whose constructor throws: the SDK turns the
// exception into an error, so create() fails cleanly instead of unwinding into the host. It
// also carries the SDK's real build info, which must pass the host's LibTorch checks.
#include <volt/sdk.hpp>

class ThrowingCallback : public volt::Callback {
 public:
  explicit ThrowingCallback(const nlohmann::json& config) {
    throw volt::Error(VOLT_ERROR_FAILED_PRECONDITION, "constructor failed with " + config.dump());
  }
  static volt::PluginInfo info() {
    return {"create_throws", "1.0.0", "throws from its constructor", R"({"type": "object"})"};
  }
};

VOLT_PLUGINS(ThrowingCallback)
