// `synthetic`: random inputs of a given shape and random labels, from a seed. For tests and
// benchmarks: the same seed always gives the same data.
#pragma once

#include <volt/sdk.hpp>

namespace volt::plugins {

class SyntheticDataModule : public TensorDataModule {
 public:
  static PluginInfo info() {
    return {"synthetic", "1.0.0", "Random inputs and labels generated from a seed",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "size": {"type": "integer", "minimum": 1, "default": 1024,
                       "description": "training samples"},
              "val_size": {"type": "integer", "minimum": 0, "default": 256,
                           "description": "validation samples"},
              "test_size": {"type": "integer", "minimum": 0, "default": 256,
                            "description": "test (and predict) samples"},
              "shape": {"type": "array", "items": {"type": "integer", "minimum": 1},
                        "minItems": 1, "default": [784],
                        "description": "shape of one input, e.g. [784] or [1,28,28]"},
              "num_classes": {"type": "integer", "minimum": 1, "default": 10,
                              "description": "labels are drawn from 0..num_classes-1"},
              "batch_size": {"type": "integer", "minimum": 1, "default": 32,
                             "description": "samples per batch"},
              "shuffle": {"type": "boolean", "default": true,
                          "description": "reshuffle the training split every epoch"},
              "seed": {"type": "integer", "minimum": 0, "default": 0,
                       "description": "seed of the data and of the shuffling order"}}})json"};
  }

  explicit SyntheticDataModule(const nlohmann::json& config)
      : TensorDataModule(config.at("batch_size").get<int64_t>(),
                         config.at("seed").get<uint64_t>()),
        config_(config),
        shuffle_(config.at("shuffle").get<bool>()) {}

  void setup(Stage /*stage*/) override {
    if (split_size(Split::Train) > 0) return;
    auto shape = config_.at("shape").get<std::vector<int64_t>>();
    auto classes = config_.at("num_classes").get<int64_t>();
    // One generator, splits drawn in a fixed order: the data depends on the seed only.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed());
    auto make = [&](Split split, int64_t n) {
      std::vector<int64_t> full{n};
      full.insert(full.end(), shape.begin(), shape.end());
      torch::Tensor x = torch::randn(full, gen);
      torch::Tensor y = torch::randint(0, classes, {n}, gen, torch::kLong);
      set_split(split, {x, y});
    };
    make(Split::Train, config_.at("size").get<int64_t>());
    make(Split::Validation, config_.at("val_size").get<int64_t>());
    make(Split::Test, config_.at("test_size").get<int64_t>());
    set_split(Split::Predict, split_tensors(Split::Test));
  }

  nlohmann::json hparams() const override { return config_; }

 protected:
  bool shuffle_by_default(Split split) const override {
    return split == Split::Train && shuffle_;
  }

 private:
  nlohmann::json config_;
  bool shuffle_;
};

}  // namespace volt::plugins
