// The trainer steps a module may replace (ABI 1.10: optimizer_step, optimizer_zero_grad,
// configure_gradient_clipping, backward, the batch transfer hooks, configure_model) and the
// checkpoint hooks, each against a hand-written LibTorch loop that does what the override says
// (Lightning's documented meaning of the hook), or against Python's torch.load.
//
// Volt side: tests/support/plugins/override_module.hpp (Linear(8, 3), cross-entropy, plain SGD) on the
// shipped `synthetic` datamodule without shuffling. Reference side: seed, Linear(8, 3), the
// synthetic data as tests/host/trainer/parity_test.cpp documents it, batches in order.
#include "support/python.hpp"
#include "support/require_error.hpp"
#include "support/trainer_harness.hpp"

#include <catch2/catch.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <fstream>

namespace volt::trainer_test {
namespace {

constexpr int64_t kIn = 8;
constexpr int64_t kClasses = 3;
constexpr int64_t kSamples = 48;
constexpr int64_t kBatch = 16;  // 3 batches per epoch
constexpr int64_t kEpochs = 2;
constexpr uint64_t kDataSeed = 7;
constexpr uint64_t kSeed = 11;
constexpr double kLr = 0.2;

std::vector<std::string> flags_for(const std::string& mode, const TempDir& tmp,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> f = {
      "--model=override_module", "--model.mode=" + mode,
      "--model.log_path=" + (tmp / "module.txt").string(),
      "--model.lr=" + std::to_string(kLr), "--data=synthetic",
      "--data.shape=[" + std::to_string(kIn) + "]", "--data.num_classes=" + std::to_string(kClasses),
      "--data.size=" + std::to_string(kSamples), "--data.val_size=16", "--data.test_size=16",
      "--data.batch_size=" + std::to_string(kBatch), "--data.shuffle=false",
      "--data.seed=" + std::to_string(kDataSeed), "--trainer.max_epochs=" + std::to_string(kEpochs),
      "--trainer.limit_val_batches=0", "--trainer.enable_progress_bar=false",
      "--trainer.enable_model_summary=false", "--logger=false",
      "--trainer.default_root_dir=" + tmp.str(), "--seed_everything=" + std::to_string(kSeed)};
  for (auto& e : extra) f.push_back(std::move(e));
  return f;
}

// What the reference loop does differently, one switch per override of override_module.
struct Reference {
  bool skip_odd_steps = false;
  bool warmup = false;
  bool no_zero_grad = false;
  double clip_value = 0;
  double backward_scale = 1;
  double input_scale = 1;
};

struct ReferenceResult {
  std::vector<torch::Tensor> parameters;
  int64_t steps = 0;
};

ReferenceResult run_reference(const Reference& r) {
  torch::manual_seed(kSeed);
  torch::nn::Linear model(kIn, kClasses);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(kDataSeed);
  torch::Tensor x = torch::randn({kSamples, kIn}, gen);
  torch::Tensor y = torch::randint(0, kClasses, {kSamples}, gen, torch::kLong);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(kLr));
  ReferenceResult out;
  for (int64_t epoch = 0; epoch < kEpochs; ++epoch) {
    for (int64_t i = 0; i * kBatch < kSamples; ++i) {
      torch::Tensor xb = x.narrow(0, i * kBatch, kBatch) * r.input_scale;
      torch::Tensor yb = y.narrow(0, i * kBatch, kBatch);
      torch::Tensor loss = torch::cross_entropy_loss(model->forward(xb), yb);
      if (!r.no_zero_grad)
        for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
      (loss * r.backward_scale).backward();
      if (r.skip_odd_steps && i % 2 == 1) continue;
      if (r.clip_value > 0) torch::nn::utils::clip_grad_value_(model->parameters(), r.clip_value);
      sgd.step();
      ++out.steps;
      if (r.warmup) {
        double scale = std::min(1.0, static_cast<double>(out.steps + 1) / 4.0);
        for (auto& g : sgd.param_groups()) g.options().set_lr(scale * kLr);
      }
    }
  }
  for (const auto& p : model->parameters()) out.parameters.push_back(p.detach().clone());
  return out;
}

void check_against(const FitResult& v, const ReferenceResult& ref) {
  CHECK(v.global_step == ref.steps);
  REQUIRE(v.final_parameters.size() == ref.parameters.size());
  for (size_t k = 0; k < ref.parameters.size(); ++k) {
    INFO("parameter " << v.final_parameters[k].first);
    double diff = (v.final_parameters[k].second - ref.parameters[k]).abs().max().item<double>();
    CHECK(diff <= 1e-6);
  }
}

TEST_CASE("a module's overrides of the trainer's steps train as a hand-written loop doing the same",
          "[trainer][hooks][module_steps]") {
  struct Case {
    const char* mode;
    Reference reference;
    std::vector<std::string> extra;
  };
  Reference skip, warmup, no_zero, clip, twice, half;
  skip.skip_odd_steps = true;
  warmup.warmup = true;
  no_zero.no_zero_grad = true;
  clip.clip_value = 0.01;
  twice.backward_scale = 2;
  half.input_scale = 0.5;
  // clip_value: the trainer's own clipping (norm, 1000) is what the override leaves out.
  auto c = GENERATE_COPY(values<Case>({{"plain", Reference{}, {}},
                                       {"skip_odd_steps", skip, {}},
                                       {"warmup", warmup, {}},
                                       {"no_zero_grad", no_zero, {}},
                                       {"clip_value", clip, {"--trainer.gradient_clip_val=1000"}},
                                       {"double_backward", twice, {}},
                                       {"scale_input", half, {}},
                                       {"lazy_layer", Reference{}, {}}}));
  INFO("mode " << c.mode);
  TempDir tmp("module-steps");
  FitResult v = fit(resolve(flags_for(c.mode, tmp, c.extra)));
  check_against(v, run_reference(c.reference));
  // configure_model runs once per stage, after setup (Lightning), also when it builds nothing.
  CHECK(read_lines(tmp / "module.txt") == std::vector<std::string>{"configure_model"});
}

TEST_CASE("the trainer's own clipping still runs for a module that does not override it",
          "[trainer][hooks][module_steps]") {
  TempDir tmp("module-steps-clip");
  FitResult v = fit(resolve(flags_for("plain", tmp, {"--trainer.gradient_clip_val=0.01",
                                                     "--trainer.gradient_clip_algorithm=value"})));
  Reference clip;
  clip.clip_value = 0.01;
  check_against(v, run_reference(clip));
}

// Reads what on_save_checkpoint added, with Python's torch.load, and prints it with the epoch.
constexpr const char* kReadAddedKeys = R"py(
import torch
ck = torch.load(open("path.txt").read())
t = ck["override_tensor"]
assert isinstance(t, torch.Tensor) and t.dtype == torch.float32, type(t)
assert isinstance(ck["override_steps"], int), type(ck["override_steps"])
print(ck["override_steps"], ck["epoch"], t.tolist())
)py";

TEST_CASE("on_save_checkpoint adds keys Python reads back, and on_load_checkpoint sees them on resume",
          "[trainer][hooks][checkpoint][python]") {
  REQUIRE_PYTHON_TORCH();
  TempDir tmp("module-ckpt-keys");
  FitResult first = fit(resolve(flags_for("save_keys", tmp)));
  REQUIRE_FALSE(first.last_checkpoint.empty());
  std::ofstream(tmp / "path.txt") << first.last_checkpoint;
  ProcessResult py = test_python::run_python(kReadAddedKeys, tmp);
  INFO(py.out << py.err);
  REQUIRE(py.exit_code == 0);
  // 3 batches x 2 epochs: 6 steps when the last checkpoint was made, at the end of epoch 1.
  CHECK(py.out == "6 1 [0.0, 6.0, 12.0]\n");

  FitResult resumed = fit(resolve(flags_for("save_keys", tmp, {"--trainer.max_epochs=3"})),
                          first.last_checkpoint);
  CHECK(resumed.global_step == 9);
  auto lines = read_lines(tmp / "module.txt");
  // configure_model for each fit; on_load_checkpoint between them, with the saved values.
  CHECK(lines == std::vector<std::string>{"configure_model", "configure_model", "loaded 6 1 18"});
}

TEST_CASE("on_save_checkpoint may not replace a key the checkpoint has", "[trainer][hooks][checkpoint]") {
  TempDir tmp("module-ckpt-bad-key");
  test::require_error([&] { fit(resolve(flags_for("bad_key", tmp))); },
                      {"override_module", "on_save_checkpoint added the key 'epoch'"});
}

}  // namespace
}  // namespace volt::trainer_test
