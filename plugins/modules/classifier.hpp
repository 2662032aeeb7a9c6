// Shared steps of the shipped image classifiers: cross-entropy training, loss and accuracy
// logging with Lightning's names, and optimizer selection from the config.
#pragma once

#include <volt/sdk.hpp>

namespace volt::plugins {

class Classifier : public LightningModule {
 public:
  explicit Classifier(const nlohmann::json& config)
      : optimizer_(config.at("optimizer").get<std::string>()),
        lr_(config.at("lr").get<double>()),
        weight_decay_(config.at("weight_decay").get<double>()) {
    save_hyperparameters(config);
  }

  virtual torch::Tensor forward(const torch::Tensor& x) = 0;

  torch::Tensor training_step(const Batch& batch, int64_t /*batch_idx*/) override {
    torch::Tensor loss = torch::cross_entropy_loss(forward(batch.at(0)), batch.at(1));
    log("train_loss", loss, LogOptions().prog_bar(true));
    return loss;
  }

  torch::Tensor validation_step(const Batch& batch, int64_t /*batch_idx*/) override {
    evaluate(batch, "val");
    return {};
  }

  torch::Tensor test_step(const Batch& batch, int64_t /*batch_idx*/) override {
    evaluate(batch, "test");
    return {};
  }

  torch::Tensor predict_step(const Batch& batch, int64_t /*batch_idx*/) override {
    return forward(batch.at(0)).argmax(1);
  }

  Optimizers configure_optimizers() override {
    namespace optim = torch::optim;
    if (optimizer_ == "sgd")
      return std::make_shared<optim::SGD>(
          parameters(), optim::SGDOptions(lr_).momentum(0.9).weight_decay(weight_decay_));
    if (optimizer_ == "adamw")
      return std::make_shared<optim::AdamW>(parameters(),
                                            optim::AdamWOptions(lr_).weight_decay(weight_decay_));
    return std::make_shared<optim::Adam>(parameters(),
                                         optim::AdamOptions(lr_).weight_decay(weight_decay_));
  }

 private:
  void evaluate(const Batch& batch, const std::string& prefix) {
    torch::Tensor logits = forward(batch.at(0));
    torch::Tensor loss = torch::cross_entropy_loss(logits, batch.at(1));
    torch::Tensor acc = (logits.argmax(1) == batch.at(1)).to(torch::kFloat).mean();
    log(prefix + "_loss", loss, LogOptions().prog_bar(prefix == "val"));
    log(prefix + "_acc", acc, LogOptions().prog_bar(prefix == "val"));
  }

  std::string optimizer_;
  double lr_;
  double weight_decay_;
};

// JSON Schema properties shared by the classifiers' configs.
inline constexpr const char* kClassifierSchemaOptions = R"json(
  "num_classes": {"type": "integer", "minimum": 2, "default": 10,
                  "description": "number of output classes"},
  "optimizer": {"type": "string", "enum": ["sgd", "adam", "adamw"], "default": "adam",
                "description": "optimizer (sgd uses momentum 0.9)"},
  "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.001,
         "description": "learning rate"},
  "weight_decay": {"type": "number", "minimum": 0, "default": 0.0,
                   "description": "L2 weight decay"})json";

// A classifier's full schema: its own properties (each followed by a comma) plus the shared
// ones. The string lives as long as the library (descriptors must stay valid).
inline const char* classifier_schema(std::string& storage, const char* own_properties) {
  if (storage.empty())
    storage = std::string(R"json({"type": "object", "additionalProperties": false, "properties": {)json") +
              own_properties + kClassifierSchemaOptions + "}}";
  return storage.c_str();
}

}  // namespace volt::plugins
