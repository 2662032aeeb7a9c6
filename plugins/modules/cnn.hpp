// `cnn`: a small convolutional classifier for 28x28 single-channel images
// (two conv-ReLU-maxpool blocks, then a hidden fully connected layer).
#pragma once

#include "classifier.hpp"

namespace volt::plugins {

class Cnn : public Classifier {
 public:
  static PluginInfo info() {
    static std::string schema;
    return {"cnn", "1.0.0", "Small convolutional classifier for 28x28 images",
            classifier_schema(schema, R"json(
                  "in_channels": {"type": "integer", "minimum": 1, "default": 1,
                                  "description": "channels of the input images"},
                  "image_size": {"type": "integer", "minimum": 4, "default": 28,
                                 "description": "height and width of the input images"},
                  "channels": {"type": "array", "items": {"type": "integer", "minimum": 1},
                               "minItems": 2, "maxItems": 2, "default": [32, 64],
                               "description": "output channels of the two conv blocks"},
                  "hidden": {"type": "integer", "minimum": 1, "default": 128,
                             "description": "width of the fully connected layer"},
                  "dropout": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.25,
                              "description": "dropout before the last layer"},
                  )json")};
  }

  explicit Cnn(const nlohmann::json& config)
      : Classifier(config),
        in_channels_(config.at("in_channels").get<int64_t>()),
        image_size_(config.at("image_size").get<int64_t>()) {
    auto ch = config.at("channels").get<std::vector<int64_t>>();
    int64_t size = image_size_ / 4;  // after two 2x2 poolings
    namespace nn = torch::nn;
    features_ = register_module(
        "features",
        nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in_channels_, ch[0], 3).padding(1)),
                       nn::ReLU(), nn::MaxPool2d(2),
                       nn::Conv2d(nn::Conv2dOptions(ch[0], ch[1], 3).padding(1)), nn::ReLU(),
                       nn::MaxPool2d(2)));
    classifier_ = register_module(
        "classifier",
        nn::Sequential(nn::Flatten(), nn::Linear(ch[1] * size * size, config.at("hidden").get<int64_t>()),
                       nn::ReLU(), nn::Dropout(config.at("dropout").get<double>()),
                       nn::Linear(config.at("hidden").get<int64_t>(),
                                  config.at("num_classes").get<int64_t>())));
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    // Flat inputs ([N, C*H*W]) are accepted too, so the same data feeds mlp and cnn.
    torch::Tensor images = x.dim() == 4 ? x : x.view({x.size(0), in_channels_, image_size_, image_size_});
    return classifier_->forward(features_->forward(images));
  }

 private:
  int64_t in_channels_;
  int64_t image_size_;
  torch::nn::Sequential features_{nullptr};
  torch::nn::Sequential classifier_{nullptr};
};

}  // namespace volt::plugins
