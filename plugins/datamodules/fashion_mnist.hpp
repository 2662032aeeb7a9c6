// `fashion_mnist`: Fashion-MNIST from the gzipped IDX files of Debian's dataset-fashion-mnist
// package. Images become float tensors [N, 1, 28, 28], normalised with the training set's
// mean and standard deviation; the last `val_size` training images form the validation split.
#pragma once

#include "idx_reader.hpp"

#include <filesystem>

namespace volt::plugins {

class FashionMnistDataModule : public TensorDataModule {
 public:
  static PluginInfo info() {
    return {"fashion_mnist", "1.0.0", "Fashion-MNIST 28x28 clothing images, 10 classes",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "path": {"type": "string", "default": "/usr/share/datasets/fashion-mnist",
                       "description": "folder with the gzipped IDX files"},
              "batch_size": {"type": "integer", "minimum": 1, "default": 64,
                             "description": "samples per batch"},
              "val_size": {"type": "integer", "minimum": 0, "default": 5000,
                           "description": "training images held out for validation"},
              "shuffle": {"type": "boolean", "default": true,
                          "description": "reshuffle the training split every epoch"},
              "seed": {"type": "integer", "minimum": 0, "default": 42,
                       "description": "seed of the shuffling order"}}})json"};
  }

  explicit FashionMnistDataModule(const nlohmann::json& config)
      : TensorDataModule(config.at("batch_size").get<int64_t>(),
                         config.at("seed").get<uint64_t>()),
        config_(config),
        path_(config.at("path").get<std::string>()),
        val_size_(config.at("val_size").get<int64_t>()),
        shuffle_(config.at("shuffle").get<bool>()) {}

  void prepare_data() override {
    for (const char* name : kFiles) {
      auto file = std::filesystem::path(path_) / name;
      if (!std::filesystem::exists(file))
        throw Error(VOLT_ERROR_NOT_FOUND,
                    "Fashion-MNIST file " + file.string() +
                        " is missing: install it with `apt-get install dataset-fashion-mnist` "
                        "or point --data.path at a folder holding the four *-ubyte.gz files");
    }
  }

  void setup(Stage /*stage*/) override {
    if (split_size(Split::Train) > 0) return;
    prepare_data();
    torch::Tensor train_x = images(kFiles[0]), train_y = labels(kFiles[1]);
    torch::Tensor test_x = images(kFiles[2]), test_y = labels(kFiles[3]);
    check_pair(train_x, train_y, kFiles[0], kFiles[1]);
    check_pair(test_x, test_y, kFiles[2], kFiles[3]);
    int64_t n = train_x.size(0);
    if (val_size_ >= n)
      throw Error("val_size " + std::to_string(val_size_) + " leaves no training images (" +
                  std::to_string(n) + " in total)");
    set_split(Split::Train, {train_x.narrow(0, 0, n - val_size_), train_y.narrow(0, 0, n - val_size_)});
    set_split(Split::Validation, {train_x.narrow(0, n - val_size_, val_size_),
                                  train_y.narrow(0, n - val_size_, val_size_)});
    set_split(Split::Test, {test_x, test_y});
    set_split(Split::Predict, {test_x, test_y});
  }

  nlohmann::json hparams() const override { return config_; }

 protected:
  bool shuffle_by_default(Split split) const override {
    return split == Split::Train && shuffle_;
  }

 private:
  static constexpr const char* kFiles[4] = {
      "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
      "t10k-labels-idx1-ubyte.gz"};
  // Mean and standard deviation of the Fashion-MNIST training pixels (scaled to [0, 1]).
  static constexpr double kMean = 0.2860;
  static constexpr double kStd = 0.3530;

  // One label per image, each a class in 0..9: a mismatch is the files' fault, named here
  // rather than as an index error deep inside the loss.
  void check_pair(const torch::Tensor& x, const torch::Tensor& y, const char* images_file,
                  const char* labels_file) const {
    auto file = [&](const char* name) { return (std::filesystem::path(path_) / name).string(); };
    if (x.dim() != 4 || x.size(2) != 28 || x.size(3) != 28)
      throw Error(VOLT_ERROR_DATA_LOSS, file(images_file) + ": expected 28x28 images, got shape " +
                                            c10::str(x.sizes().slice(1)));
    if (y.dim() != 1 || y.size(0) != x.size(0))
      throw Error(VOLT_ERROR_DATA_LOSS, file(labels_file) + ": " + std::to_string(y.numel()) +
                                            " labels for the " + std::to_string(x.size(0)) +
                                            " images of " + file(images_file));
    torch::Tensor bad = (y >= kClasses).nonzero();
    if (bad.numel() > 0) {
      int64_t at = bad[0][0].item<int64_t>();
      throw Error(VOLT_ERROR_DATA_LOSS, file(labels_file) + ": label " +
                                            std::to_string(y[at].item<int64_t>()) + " at index " +
                                            std::to_string(at) + " is not a class of 0.." +
                                            std::to_string(kClasses - 1));
    }
  }
  static constexpr int64_t kClasses = 10;

  torch::Tensor images(const char* name) const {
    torch::Tensor raw = read_idx_gz((std::filesystem::path(path_) / name).string());
    return ((raw.to(torch::kFloat) / 255.0 - kMean) / kStd).unsqueeze(1).contiguous();
  }
  torch::Tensor labels(const char* name) const {
    return read_idx_gz((std::filesystem::path(path_) / name).string()).to(torch::kLong);
  }

  nlohmann::json config_;
  std::string path_;
  int64_t val_size_;
  bool shuffle_;
};

}  // namespace volt::plugins
