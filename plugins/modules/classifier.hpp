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
        weight_decay_(config.at("weight_decay").get<double>()),
        scheduler_(config.value("lr_scheduler", nlohmann::json::object())) {
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
    std::shared_ptr<optim::Optimizer> opt;
    if (optimizer_ == "sgd")
      opt = std::make_shared<optim::SGD>(
          parameters(), optim::SGDOptions(lr_).momentum(0.9).weight_decay(weight_decay_));
    else if (optimizer_ == "adamw")
      opt = std::make_shared<optim::AdamW>(parameters(),
                                           optim::AdamWOptions(lr_).weight_decay(weight_decay_));
    else
      opt = std::make_shared<optim::Adam>(parameters(),
                                          optim::AdamOptions(lr_).weight_decay(weight_decay_));
    SchedulerConfig config;
    std::shared_ptr<LRScheduler> scheduler = make_scheduler(opt, config);
    return Optimizers().add(opt, scheduler, config);
  }

 private:
  void evaluate(const Batch& batch, const std::string& prefix) {
    torch::Tensor logits = forward(batch.at(0));
    torch::Tensor loss = torch::cross_entropy_loss(logits, batch.at(1));
    torch::Tensor acc = (logits.argmax(1) == batch.at(1)).to(torch::kFloat).mean();
    // Reduced across ranks, so that with ddp the metrics cover the whole split.
    log(prefix + "_loss", loss, LogOptions().prog_bar(prefix == "val").sync_dist(true));
    log(prefix + "_acc", acc, LogOptions().prog_bar(prefix == "val").sync_dist(true));
  }

  // model.lr_scheduler: {"name": ..., the scheduler's arguments, "interval", "frequency"}.
  std::shared_ptr<LRScheduler> make_scheduler(const std::shared_ptr<torch::optim::Optimizer>& opt,
                                              SchedulerConfig& config) const {
    const nlohmann::json& s = scheduler_;
    std::string name = s.value("name", std::string("none"));
    config.interval = s.value("interval", std::string("epoch"));
    config.frequency = s.value("frequency", 1);
    if (name == "none") return nullptr;
    if (name == "step") return std::make_shared<lr::StepLR>(opt, s.value("step_size", 1), s.value("gamma", 0.1));
    if (name == "multistep")
      return std::make_shared<lr::MultiStepLR>(
          opt, s.value("milestones", std::vector<int64_t>{}), s.value("gamma", 0.1));
    if (name == "cosine")
      return std::make_shared<lr::CosineAnnealingLR>(opt, s.value("T_max", 10), s.value("eta_min", 0.0));
    if (name == "linear")
      return std::make_shared<lr::LinearLR>(opt, s.value("start_factor", 1.0 / 3),
                                            s.value("end_factor", 1.0), s.value("total_iters", 5));
    if (name == "onecycle") {
      lr::OneCycleOptions o;
      o.pct_start = s.value("pct_start", 0.3);
      return std::make_shared<lr::OneCycleLR>(opt, s.value("max_lr", lr_ * 10),
                                              s.value("total_steps", 100), o);
    }
    // plateau
    lr::PlateauOptions o;
    o.mode = s.value("mode", std::string("min"));
    o.factor = s.value("factor", 0.1);
    o.patience = s.value("patience", 10);
    config.monitor = s.value("monitor", std::string("val_loss"));
    return std::make_shared<lr::ReduceLROnPlateau>(opt, o);
  }

  std::string optimizer_;
  double lr_;
  double weight_decay_;
  nlohmann::json scheduler_;
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
                   "description": "L2 weight decay"},
  "lr_scheduler": {"type": "object", "additionalProperties": false,
    "description": "LR scheduler (PyTorch's arguments), e.g. {\"name\": \"cosine\", \"T_max\": 10}",
    "properties": {
      "name": {"enum": ["none", "step", "multistep", "cosine", "linear", "onecycle", "plateau"]},
      "interval": {"enum": ["epoch", "step"]}, "frequency": {"type": "integer", "minimum": 1},
      "step_size": {"type": "integer", "minimum": 1}, "gamma": {"type": "number"},
      "milestones": {"type": "array", "items": {"type": "integer"}},
      "T_max": {"type": "integer", "minimum": 1}, "eta_min": {"type": "number"},
      "start_factor": {"type": "number"}, "end_factor": {"type": "number"},
      "total_iters": {"type": "integer", "minimum": 0},
      "max_lr": {"type": "number"}, "total_steps": {"type": "integer", "minimum": 1},
      "pct_start": {"type": "number"},
      "monitor": {"type": "string"}, "mode": {"enum": ["min", "max"]},
      "factor": {"type": "number"}, "patience": {"type": "integer", "minimum": 0}}})json";

// A classifier's full schema: its own properties (each followed by a comma) plus the shared
// ones. The string lives as long as the library (descriptors must stay valid).
inline const char* classifier_schema(std::string& storage, const char* own_properties) {
  if (storage.empty())
    storage = std::string(R"json({"type": "object", "additionalProperties": false, "properties": {)json") +
              own_properties + kClassifierSchemaOptions + "}}";
  return storage.c_str();
}

}  // namespace volt::plugins
