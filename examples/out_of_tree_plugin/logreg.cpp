// A complete Volt plugin in one file: multinomial logistic regression as a LightningModule.
#include <volt/sdk.hpp>

class LogisticRegression : public volt::LightningModule {
 public:
  static volt::PluginInfo info() {
    return {"logreg", "1.0.0", "Multinomial logistic regression (example out-of-tree plugin)",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "in_features": {"type": "integer", "minimum": 1, "default": 784},
              "num_classes": {"type": "integer", "minimum": 2, "default": 10},
              "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.1}}})json"};
  }

  explicit LogisticRegression(const nlohmann::json& config) : lr_(config.at("lr").get<double>()) {
    linear_ = register_module("linear", torch::nn::Linear(config.at("in_features").get<int64_t>(),
                                                          config.at("num_classes").get<int64_t>()));
    save_hyperparameters(config);
  }

  torch::Tensor training_step(const volt::Batch& batch, int64_t) override {
    auto loss = torch::cross_entropy_loss(linear_(batch[0].flatten(1)), batch[1]);
    log("train_loss", loss);
    return loss;
  }

  torch::Tensor validation_step(const volt::Batch& batch, int64_t) override {
    auto logits = linear_(batch[0].flatten(1));
    log("val_loss", torch::cross_entropy_loss(logits, batch[1]));
    log("val_acc", (logits.argmax(1) == batch[1]).to(torch::kFloat).mean());
    return {};
  }

  volt::Optimizers configure_optimizers() override {
    return std::make_shared<torch::optim::SGD>(parameters(), torch::optim::SGDOptions(lr_));
  }

 private:
  double lr_;
  torch::nn::Linear linear_{nullptr};
};

VOLT_PLUGINS(LogisticRegression)
