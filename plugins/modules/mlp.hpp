// `mlp`: a multi-layer perceptron classifier; inputs are flattened to in_features.
#pragma once

#include "classifier.hpp"

namespace volt::plugins {

class Mlp : public Classifier {
 public:
  static PluginInfo info() {
    static std::string schema;
    return {"mlp", "1.0.0", "Multi-layer perceptron classifier (Linear+ReLU layers)",
            classifier_schema(schema, R"json(
                  "in_features": {"type": "integer", "minimum": 1, "default": 784,
                                  "description": "input features (inputs are flattened)"},
                  "hidden_sizes": {"type": "array", "items": {"type": "integer", "minimum": 1},
                                   "default": [256, 128], "description": "hidden layer widths"},
                  )json")};
  }

  explicit Mlp(const nlohmann::json& config) : Classifier(config) {
    int64_t in = config.at("in_features").get<int64_t>();
    for (int64_t width : config.at("hidden_sizes").get<std::vector<int64_t>>()) {
      layers_->push_back(torch::nn::Linear(in, width));
      layers_->push_back(torch::nn::ReLU());
      in = width;
    }
    layers_->push_back(torch::nn::Linear(in, config.at("num_classes").get<int64_t>()));
    register_module("layers", layers_);
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    return layers_->forward(x.flatten(1));
  }

 private:
  torch::nn::Sequential layers_;
};

}  // namespace volt::plugins
