// Parity of Volt's fit with a hand-written LibTorch loop (lightning.md section 8: Lightning's
// tests/parity_pytorch compares the Trainer with a vanilla loop the same way).
//
// Volt side: the shipped `mlp` module on the shipped `synthetic` datamodule, loaded from the
// build's plugin folder and run through the real host (config resolved by validate_and_fill,
// plugins created in run_command's order, Trainer::fit, no logger). The test-only
// `loss_recorder` callback writes the loss of every training batch.
//
// Reference side, written here from the documented behaviour only:
//  - seed_everything(seed) before the model exists, then the same layers built in the same
//    order (Mlp: Linear(8,16), ReLU, Linear(16,3)) draw the same initial weights;
//  - synthetic data: one CPU generator seeded with data.seed draws x ~ randn([size, shape...])
//    then y ~ randint(0, num_classes, [size]) for the training split;
//  - shuffling (TensorDataModule): epoch e uses randperm(size) from a generator seeded with
//    data.seed + e, batch i is samples [i*bs, min((i+1)*bs, size)) of that order;
//  - per batch: loss = cross_entropy(model(x), y); with accumulate_grad_batches = k the
//    loss is divided by k, gradients are zeroed on the first batch of each window and the
//    optimizer steps on the last batch of a window or of the epoch (Lightning's rule);
//  - the optimizers of plugins/modules/classifier.hpp: sgd = SGD(lr, momentum 0.9),
//    adam = Adam(lr), both without weight decay;
//  - gradient_clip_val: clip_grad_norm_ / clip_grad_value_ over all parameters right before
//    each optimizer step;
//  - a StepLR configured by the module: interval "step" steps it after the optimizer on every
//    `frequency`-th batch of the epoch (batch_idx + 1) that stepped, interval "epoch" after every
//    `frequency`-th epoch (Lightning's _update_learning_rates). The schedule itself is checked
//    against PyTorch in tests/sdk/lr_schedulers_test.cpp.
#include "support/trainer_harness.hpp"

#include <volt/sdk/lr_schedulers.hpp>

#include <catch2/catch.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>

namespace volt::trainer_test {
namespace {

constexpr int64_t kInFeatures = 8;
constexpr int64_t kHidden = 16;
constexpr int64_t kClasses = 3;
constexpr int64_t kSamples = 96;
constexpr int64_t kBatchSize = 16;
constexpr uint64_t kDataSeed = 5;
constexpr double kTolerance = 1e-6;

struct Setup {
  std::string optimizer = "sgd";
  double lr = 0.1;
  uint64_t seed = 42;
  int64_t epochs = 2;
  int64_t accumulate = 1;
  std::string limit_train_batches;  // "" = all; otherwise the flag's value ("3", "0.5")
  double clip_val = 0;              // 0 = no clipping
  std::string clip_algorithm = "norm";
  std::string scheduler_interval;   // "" = no scheduler; else StepLR(step_size 1, gamma 0.7)
  int64_t scheduler_frequency = 1;
  std::string device;               // "" = the harness's cpu; else single_device's device
};

std::vector<std::string> volt_flags(const Setup& s, const std::string& loss_path) {
  std::vector<std::string> flags = {
      "--model=mlp",
      "--model.in_features=" + std::to_string(kInFeatures),
      "--model.hidden_sizes=[" + std::to_string(kHidden) + "]",
      "--model.num_classes=" + std::to_string(kClasses),
      "--model.optimizer=" + s.optimizer,
      "--model.lr=" + std::to_string(s.lr),
      "--data=synthetic",
      "--data.shape=[" + std::to_string(kInFeatures) + "]",
      "--data.size=" + std::to_string(kSamples),
      "--data.val_size=32",
      "--data.test_size=16",
      "--data.num_classes=" + std::to_string(kClasses),
      "--data.batch_size=" + std::to_string(kBatchSize),
      "--data.shuffle=true",
      "--data.seed=" + std::to_string(kDataSeed),
      "--trainer.max_epochs=" + std::to_string(s.epochs),
      "--trainer.accumulate_grad_batches=" + std::to_string(s.accumulate),
      "--trainer.enable_progress_bar=false",
      "--trainer.enable_model_summary=false",
      "--logger=false",
      "--seed_everything=" + std::to_string(s.seed),
      "--callbacks+=loss_recorder",
      "--callbacks.path=" + loss_path,
  };
  if (!s.limit_train_batches.empty())
    flags.push_back("--trainer.limit_train_batches=" + s.limit_train_batches);
  if (s.clip_val > 0) {
    flags.push_back("--trainer.gradient_clip_val=" + std::to_string(s.clip_val));
    flags.push_back("--trainer.gradient_clip_algorithm=" + s.clip_algorithm);
  }
  if (!s.scheduler_interval.empty())
    flags.push_back(R"(--model.lr_scheduler={"name": "step", "step_size": 1, "gamma": 0.7, "interval": ")" +
                    s.scheduler_interval + R"(", "frequency": )" +
                    std::to_string(s.scheduler_frequency) + "}");
  return flags;
}

struct VoltRun {
  FitResult fit;
  std::vector<RecordedLoss> losses;
};

VoltRun run_volt(const Setup& s) {
  TempDir tmp("parity");
  nlohmann::json resolved = resolve(volt_flags(s, (tmp / "losses.txt").string()));
  if (!s.device.empty()) resolved["strategy"]["config"]["device"] = s.device;
  VoltRun r;
  r.fit = fit(resolved);
  r.losses = read_losses(tmp / "losses.txt");
  return r;
}

// Batches run per epoch: limit_train_batches as BatchLimit::apply documents it.
int64_t batches_per_epoch(const Setup& s) {
  int64_t available = (kSamples + kBatchSize - 1) / kBatchSize;
  if (s.limit_train_batches.empty()) return available;
  if (s.limit_train_batches.find('.') != std::string::npos)
    return static_cast<int64_t>(std::floor(available * std::stod(s.limit_train_batches)));
  return std::min<int64_t>(available, std::stoll(s.limit_train_batches));
}

struct ReferenceRun {
  std::vector<torch::Tensor> initial_parameters;
  std::vector<torch::Tensor> final_parameters;
  std::vector<double> losses;           // training_step's loss, per batch
  std::vector<double> backward_losses;  // what backward() was called on (loss / k)
  std::vector<int64_t> steps_after;     // optimizer steps taken after each batch
  int64_t steps = 0;
};

ReferenceRun run_reference(const Setup& s) {
  ReferenceRun r;
  torch::manual_seed(s.seed);
  // One layer at a time: the order of construction is the order of random draws.
  torch::nn::Sequential model;
  model->push_back(torch::nn::Linear(kInFeatures, kHidden));
  model->push_back(torch::nn::ReLU());
  model->push_back(torch::nn::Linear(kHidden, kClasses));
  for (const auto& p : model->parameters()) r.initial_parameters.push_back(p.detach().clone());

  auto data_gen = at::make_generator<at::CPUGeneratorImpl>(kDataSeed);
  torch::Tensor x = torch::randn({kSamples, kInFeatures}, data_gen);
  torch::Tensor y = torch::randint(0, kClasses, {kSamples}, data_gen, torch::kLong);

  std::shared_ptr<torch::optim::Optimizer> optimizer;
  if (s.optimizer == "sgd")
    optimizer = std::make_shared<torch::optim::SGD>(
        model->parameters(), torch::optim::SGDOptions(s.lr).momentum(0.9).weight_decay(0.0));
  else
    optimizer = std::make_shared<torch::optim::Adam>(
        model->parameters(), torch::optim::AdamOptions(s.lr).weight_decay(0.0));
  std::unique_ptr<volt::lr::StepLR> scheduler;
  if (!s.scheduler_interval.empty()) scheduler = std::make_unique<volt::lr::StepLR>(optimizer, 1, 0.7);

  const int64_t n = batches_per_epoch(s);
  for (int64_t epoch = 0; epoch < s.epochs; ++epoch) {
    auto order_gen = at::make_generator<at::CPUGeneratorImpl>(kDataSeed + epoch);
    torch::Tensor order =
        torch::randperm(kSamples, order_gen, torch::TensorOptions().dtype(torch::kLong));
    for (int64_t i = 0; i < n; ++i) {
      int64_t begin = i * kBatchSize;
      torch::Tensor idx = order.narrow(0, begin, std::min(kBatchSize, kSamples - begin));
      torch::Tensor xb = x.index_select(0, idx);
      torch::Tensor yb = y.index_select(0, idx);

      torch::Tensor loss = torch::cross_entropy_loss(model->forward(xb.flatten(1)), yb);
      r.losses.push_back(loss.item<double>());
      torch::Tensor scaled = s.accumulate > 1 ? loss / static_cast<double>(s.accumulate) : loss;
      r.backward_losses.push_back(scaled.item<double>());
      bool first_of_window = i % s.accumulate == 0;
      bool step = (i + 1) % s.accumulate == 0 || i + 1 == n;
      if (first_of_window)
        for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
      scaled.backward();
      if (step) {
        if (s.clip_val > 0 && s.clip_algorithm == "norm")
          torch::nn::utils::clip_grad_norm_(model->parameters(), s.clip_val);
        if (s.clip_val > 0 && s.clip_algorithm == "value")
          torch::nn::utils::clip_grad_value_(model->parameters(), s.clip_val);
        optimizer->step();
        ++r.steps;
        if (scheduler && s.scheduler_interval == "step" && (i + 1) % s.scheduler_frequency == 0)
          scheduler->step(std::nullopt);
      }
      r.steps_after.push_back(r.steps);
    }
    if (scheduler && s.scheduler_interval == "epoch" && (epoch + 1) % s.scheduler_frequency == 0)
      scheduler->step(std::nullopt);
  }
  for (const auto& p : model->parameters()) r.final_parameters.push_back(p.detach().clone());
  return r;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.cpu().to(torch::kDouble) - b.cpu().to(torch::kDouble)).abs().max().item<double>();
}

void check_parameters(const NamedTensors& volt, const std::vector<torch::Tensor>& reference,
                      double tolerance) {
  REQUIRE(volt.size() == reference.size());
  for (size_t k = 0; k < volt.size(); ++k) {
    INFO("parameter " << volt[k].first);
    REQUIRE(volt[k].second.sizes() == reference[k].sizes());
    CHECK(max_abs_diff(volt[k].second, reference[k]) <= tolerance);
  }
}

// Everything the parity tests compare, for one setup.
void check_parity(const Setup& s, double tolerance = kTolerance) {
  INFO("optimizer " << s.optimizer << ", accumulate_grad_batches " << s.accumulate
                    << ", limit_train_batches '" << s.limit_train_batches << "'");
  VoltRun v = run_volt(s);
  ReferenceRun ref = run_reference(s);
  const int64_t n = batches_per_epoch(s);

  // Same seed, same layers, same order: the initial weights are identical, bit for bit.
  check_parameters(v.fit.initial_parameters, ref.initial_parameters, 0.0);

  REQUIRE(v.losses.size() == ref.losses.size());
  REQUIRE(static_cast<int64_t>(v.losses.size()) == n * s.epochs);
  for (size_t k = 0; k < v.losses.size(); ++k) {
    INFO("batch " << k << " (epoch " << v.losses[k].epoch << ", batch_idx "
                  << v.losses[k].batch_idx << ")");
    CHECK(v.losses[k].epoch == static_cast<int64_t>(k) / n);
    CHECK(v.losses[k].batch_idx == static_cast<int64_t>(k) % n);
    // on_before_backward sees the loss backward() runs on: loss / accumulate_grad_batches.
    CHECK(std::fabs(v.losses[k].backward_loss - ref.backward_losses[k]) <= tolerance);
    if (s.accumulate == 1) CHECK(std::fabs(v.losses[k].outputs - ref.losses[k]) <= tolerance);
    // trainer.global_step counts optimizer steps, already incremented at on_train_batch_end.
    CHECK(v.losses[k].global_step == ref.steps_after[k]);
  }
  CHECK(v.fit.global_step == ref.steps);
  CHECK(v.fit.current_epoch == s.epochs);
  check_parameters(v.fit.final_parameters, ref.final_parameters, tolerance);
}

TEST_CASE("fit matches a hand-written LibTorch loop: mlp, sgd", "[trainer][parity]") {
  Setup s;
  s.optimizer = "sgd";
  s.lr = 0.1;
  check_parity(s);
}

TEST_CASE("fit matches a hand-written LibTorch loop: mlp, adam", "[trainer][parity]") {
  Setup s;
  s.optimizer = "adam";
  s.lr = 0.01;
  check_parity(s);
}

TEST_CASE("fit matches a hand-written loop with accumulate_grad_batches=2", "[trainer][parity]") {
  Setup s;
  s.accumulate = 2;
  SECTION("6 batches per epoch: 3 optimizer steps per epoch") {
    check_parity(s);
  }
  SECTION("5 batches per epoch: the last batch of the epoch steps alone") {
    s.limit_train_batches = "5";
    check_parity(s);
  }
  SECTION("adam") {
    s.optimizer = "adam";
    s.lr = 0.01;
    check_parity(s);
  }
}

TEST_CASE("fit matches a hand-written loop with limit_train_batches", "[trainer][parity]") {
  Setup s;
  SECTION("a number of batches") {
    s.limit_train_batches = "4";
    check_parity(s);
  }
  SECTION("a fraction of the epoch (0.5 of 6 batches)") {
    s.limit_train_batches = "0.5";
    check_parity(s);
  }
}

TEST_CASE("two fits with the same seed_everything give identical runs", "[trainer][parity]") {
  Setup s;
  s.optimizer = "adam";
  s.lr = 0.01;
  VoltRun a = run_volt(s);
  VoltRun b = run_volt(s);
  REQUIRE(a.losses.size() == b.losses.size());
  REQUIRE(!a.losses.empty());
  for (size_t k = 0; k < a.losses.size(); ++k) {
    INFO("batch " << k);
    CHECK(a.losses[k].outputs == b.losses[k].outputs);  // bit for bit
  }
  REQUIRE(a.fit.final_parameters.size() == b.fit.final_parameters.size());
  for (size_t k = 0; k < a.fit.final_parameters.size(); ++k)
    CHECK(torch::equal(a.fit.final_parameters[k].second, b.fit.final_parameters[k].second));

  SECTION("and another seed gives other initial weights and losses") {
    Setup other = s;
    other.seed = s.seed + 1;
    VoltRun c = run_volt(other);
    CHECK_FALSE(torch::equal(a.fit.initial_parameters[0].second,
                             c.fit.initial_parameters[0].second));
    CHECK(a.losses[0].outputs != c.losses[0].outputs);
  }
}

// Lightning's on_train_batch_end receives {"loss": closure_loss / accumulate_grad_batches}
// (loops/optimization/automatic.py: ClosureResult.from_training_step_output normalises the
// loss and asdict() returns the normalised copy). Volt passes training_step's raw return
// value, so with accumulation callbacks see a loss k times larger than Lightning's.
TEST_CASE("on_train_batch_end outputs are the loss divided by accumulate_grad_batches, as in "
          "Lightning",
          "[trainer][parity][lightning-divergence]") {
  Setup s;
  s.accumulate = 2;
  VoltRun v = run_volt(s);
  ReferenceRun ref = run_reference(s);
  REQUIRE(v.losses.size() == ref.losses.size());
  size_t mismatches = 0;
  std::ostringstream first;
  for (size_t k = 0; k < v.losses.size(); ++k) {
    if (std::fabs(v.losses[k].outputs - ref.backward_losses[k]) <= kTolerance) continue;
    if (mismatches++ == 0)
      first << "first mismatch at batch " << k << ": outputs " << v.losses[k].outputs
            << ", training_step loss " << ref.losses[k] << ", loss / 2 "
            << ref.backward_losses[k];
  }
  INFO(first.str());
  CHECK(mismatches == 0);
}

TEST_CASE("fit matches a hand-written loop with gradient clipping", "[trainer][parity]") {
  Setup s;
  s.lr = 0.5;
  SECTION("norm") {
    s.clip_val = 0.05;  // well below the gradients' norm: clipping is active on every step
    check_parity(s);
  }
  SECTION("value, with accumulation") {
    s.clip_val = 0.01;
    s.clip_algorithm = "value";
    s.accumulate = 2;
    check_parity(s);
  }
}

TEST_CASE("fit steps the module's LR scheduler when Lightning does", "[trainer][parity]") {
  Setup s;
  s.epochs = 3;
  SECTION("every epoch") {
    s.scheduler_interval = "epoch";
    check_parity(s);
  }
  SECTION("every 2nd epoch") {
    s.scheduler_interval = "epoch";
    s.scheduler_frequency = 2;
    check_parity(s);
  }
  SECTION("every 4th batch of an epoch, with accumulation 2") {
    s.scheduler_interval = "step";
    s.scheduler_frequency = 4;
    s.accumulate = 2;
    check_parity(s);
  }
}

// On a CUDA build with a GPU: the same run on cuda:0 against the CPU reference. The model is
// created and seeded on the CPU and moved by the strategy, so initial weights are bitwise equal;
// CUDA kernels sum in another order, hence the looser tolerance.
TEST_CASE("fit on cuda:0 matches the hand-written CPU loop", "[trainer][parity][cuda]") {
  if (!torch::cuda::is_available()) {
    WARN("skipped: no CUDA device (LibTorch built with CUDA: " << VOLT_TORCH_CUDA << ")");
    return;
  }
  Setup s;
  s.device = "cuda:0";
  SECTION("sgd") { check_parity(s, 1e-5); }
  SECTION("adam with accumulation and clipping") {
    s.optimizer = "adam";
    s.lr = 0.01;
    s.accumulate = 2;
    s.clip_val = 0.05;
    check_parity(s, 1e-5);
  }
}

}  // namespace
}  // namespace volt::trainer_test
