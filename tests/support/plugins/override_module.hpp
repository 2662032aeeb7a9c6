// override_module: a one-layer classifier (Linear(in_features, num_classes), cross-entropy,
// plain SGD) whose `mode` overrides one of the trainer steps a module may replace (ABI 1.10),
// so that tests/host/trainer/loops/automatic_optimization_test.cpp can compare its weights with a hand-written
// loop doing the same:
//   plain            nothing overridden
//   skip_odd_steps   optimizer_step runs the step on even batch indices only
//   warmup           optimizer_step steps, then sets lr = lr * min(1, (global_step + 1) / 4)
//                    (the warm-up example of Lightning's optimizer_step docs)
//   no_zero_grad     optimizer_zero_grad keeps the gradients (they accumulate over the run)
//   clip_value       configure_gradient_clipping clips by value to 0.01 whatever the trainer says
//   double_backward  backward runs (2 * loss).backward()
//   scale_input      on_after_batch_transfer halves the inputs
//   lazy_layer       the layer is made in configure_model (once), not in the constructor
//   save_keys        on_save_checkpoint adds "override_steps" (optimizer steps seen) and
//                    "override_tensor" (arange(3) * steps); on_load_checkpoint appends
//                    "loaded <override_steps> <epoch> <sum of override_tensor>" to log_path
//   bad_key          on_save_checkpoint adds "epoch", which Volt writes itself
//   with_callbacks   configure_callbacks asks for recording_callback (prefix "Model.",
//                    log_path) and Lightning's ModelCheckpoint (dirpath "<log_path>.ckpts")
//   unknown_callback configure_callbacks asks for a callback no plugin provides
// Every mode appends "configure_model" to log_path each time that hook runs.
#pragma once

#include <volt/sdk.hpp>

#include <cstdio>
#include <string>

namespace volt::test_plugins {

class OverrideModule : public LightningModule {
 public:
  static PluginInfo info() {
    return {"override_module", "1.0.0", "Test module overriding one replaceable trainer step",
            R"json({"type": "object", "additionalProperties": false, "properties": {
              "mode": {"type": "string", "default": "plain",
                       "enum": ["plain", "skip_odd_steps", "warmup", "no_zero_grad", "clip_value",
                                "double_backward", "scale_input", "lazy_layer", "save_keys",
                                "bad_key", "with_callbacks", "unknown_callback"]},
              "log_path": {"type": "string", "default": ""},
              "in_features": {"type": "integer", "minimum": 1, "default": 8},
              "num_classes": {"type": "integer", "minimum": 2, "default": 3},
              "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.1}}})json"};
  }

  explicit OverrideModule(const nlohmann::json& config)
      : mode_(config.at("mode").get<std::string>()),
        path_(config.at("log_path").get<std::string>()),
        in_(config.at("in_features").get<int64_t>()),
        classes_(config.at("num_classes").get<int64_t>()),
        lr_(config.at("lr").get<double>()) {
    if (mode_ != "lazy_layer") make_layer();
    save_hyperparameters(config);
  }

  torch::Tensor training_step(const Batch& batch, int64_t /*batch_idx*/) override {
    return torch::cross_entropy_loss(linear_->forward(batch.at(0)), batch.at(1));
  }
  Optimizers configure_optimizers() override {
    return std::make_shared<torch::optim::SGD>(parameters(), torch::optim::SGDOptions(lr_));
  }

  std::vector<CallbackSpec> configure_callbacks() override {
    if (mode_ == "unknown_callback") return {{"no_such_callback", nlohmann::json::object()}};
    if (mode_ != "with_callbacks") return {};
    return {{"ModelCheckpoint", {{"dirpath", path_ + ".ckpts"}}},
            {"recording_callback", {{"log_path", path_}, {"prefix", "Model."}}}};
  }
  void configure_model() override {
    note("configure_model");
    if (!linear_) make_layer();
  }
  void optimizer_step(int64_t epoch, int64_t batch_idx, torch::optim::Optimizer& optimizer,
                      const std::function<void()>& step) override {
    if (mode_ == "skip_odd_steps") {
      if (batch_idx % 2 == 0) step();
      return;
    }
    step();
    if (mode_ == "warmup") {
      double scale = std::min(1.0, static_cast<double>(global_step() + 1) / 4.0);
      for (auto& group : optimizer.param_groups()) group.options().set_lr(scale * lr_);
    }
    (void)epoch;
  }
  void optimizer_zero_grad(int64_t epoch, int64_t batch_idx,
                           torch::optim::Optimizer& optimizer) override {
    if (mode_ != "no_zero_grad") LightningModule::optimizer_zero_grad(epoch, batch_idx, optimizer);
  }
  void configure_gradient_clipping(torch::optim::Optimizer& optimizer, std::optional<double> val,
                                   std::optional<std::string> algorithm) override {
    if (mode_ == "clip_value") return clip_gradients(optimizer, 0.01, "value");
    clip_gradients(optimizer, val, algorithm);
  }
  void backward(const torch::Tensor& loss) override {
    if (mode_ == "double_backward") return (2 * loss).backward();
    loss.backward();
  }
  Batch on_after_batch_transfer(Batch batch, int32_t /*dataloader_idx*/) override {
    if (mode_ == "scale_input") batch.at(0) = batch.at(0) * 0.5;
    return batch;
  }
  void on_save_checkpoint(CheckpointDict& checkpoint) override {
    if (mode_ == "save_keys") {
      checkpoint.insert("override_steps", global_step());
      checkpoint.insert("override_tensor", torch::arange(3, torch::kFloat32) * global_step());
    }
    if (mode_ == "bad_key") checkpoint.insert("epoch", int64_t{-1});
  }
  void on_load_checkpoint(const CheckpointDict& checkpoint) override {
    if (mode_ != "save_keys") return;
    int64_t steps = checkpoint.at("override_steps").toInt();
    int64_t epoch = checkpoint.at("epoch").toInt();
    double sum = checkpoint.at("override_tensor").toTensor().sum().item<double>();
    char line[128];
    std::snprintf(line, sizeof line, "loaded %lld %lld %g", static_cast<long long>(steps),
                  static_cast<long long>(epoch), sum);
    note(line);
  }

 private:
  void make_layer() { linear_ = register_module("linear", torch::nn::Linear(in_, classes_)); }
  void note(const std::string& line) const {
    if (path_.empty()) return;
    std::FILE* f = std::fopen(path_.c_str(), "a");
    if (f == nullptr) throw Error(VOLT_ERROR_DATA_LOSS, "cannot append to " + path_);
    std::fprintf(f, "%s\n", line.c_str());
    std::fclose(f);
  }

  std::string mode_;
  std::string path_;
  int64_t in_;
  int64_t classes_;
  double lr_;
  torch::nn::Linear linear_{nullptr};
};

}  // namespace volt::test_plugins
