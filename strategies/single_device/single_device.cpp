// `single_device`: one process, one device (Lightning's SingleDeviceStrategy). Also the
// reference for strategy authors: everything but placement keeps the Strategy defaults.
#include <volt/sdk.hpp>

namespace volt::strategies {

class SingleDevice : public Strategy {
 public:
  static PluginInfo info() {
    return {"single_device", "1.0.0", "Train on one device: cpu or cuda:N",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "device": {"type": "string", "default": "cpu",
                         "description": "torch device: cpu, cuda, cuda:N"}}})json"};
  }

  explicit SingleDevice(const nlohmann::json& config)
      : device_(config.at("device").get<std::string>()) {
    if (device_.is_cuda() && !torch::cuda::is_available())
      throw Error(VOLT_ERROR_UNAVAILABLE,
                  "device '" + device_.str() + "' requested but CUDA is not available " +
                      "(this LibTorch build or machine has no GPU)");
  }

  StrategyInfo setup_environment() override {
    StrategyInfo info;
    info.root_device = device_.str();
    return info;
  }

  void setup_module(ModuleRef module) override { module.to(device_.str()); }

  void batch_to_device(Batch& batch) override {
    for (auto& t : batch)
      if (t.device() != device_) t = t.to(device_, /*non_blocking=*/true);
  }

 private:
  torch::Device device_;
};

}  // namespace volt::strategies

VOLT_PLUGINS(volt::strategies::SingleDevice)
