// Optimizer state in PyTorch's state_dict layout (sdk optimizer_state.hpp through the C table
// of optimizer_adapter.hpp, tensors crossing as handles): saving, the host's torch file, and loading
// into a fresh optimizer continue training bitwise identically.
#include "checkpoint/pickle_reader.hpp"
#include "checkpoint/pickle_writer.hpp"
#include "runtime/host_api.hpp"

#include <volt/sdk/optimizer_adapter.hpp>

#include <catch2/catch.hpp>

#include <torch/torch.h>

namespace volt::host {
namespace {

using Make = std::function<std::shared_ptr<torch::optim::Optimizer>(std::vector<at::Tensor>)>;

// What the host puts in a checkpoint: the plugin's state, written as a torch file and read back
// (so the restored optimizer shares nothing with the saved one).
c10::IValue save_state(detail::OptimizerAdapter& a) {
  volt::StateCollector collected;
  check_plugin(a.table.save_state(&a.table, collected.sink()), "test", "save_state");
  std::vector<char> bytes = torch_file_bytes(collected.value());
  return read_torch_bytes(bytes.data(), bytes.size()).value;
}

volt_error* load_state(detail::OptimizerAdapter& a, const c10::IValue& state) {
  volt::StateView view(state);
  return a.table.load_state(&a.table, view.get());
}

void train(torch::nn::Sequential& model, torch::optim::Optimizer& opt, int first, int steps) {
  for (int i = first; i < first + steps; ++i) {
    torch::manual_seed(100 + i);
    at::Tensor x = torch::randn({8, 4});
    at::Tensor y = torch::randn({8, 3});
    opt.zero_grad();
    torch::mse_loss(model->forward(x), y).backward();
    opt.step();
  }
}

torch::nn::Sequential make_model() {
  return torch::nn::Sequential(torch::nn::Linear(4, 5), torch::nn::Tanh(), torch::nn::Linear(5, 3));
}

// Trains 3 steps, saves, restores into a copy built with other options, trains both 3 more.
c10::IValue check_exact_resume(const Make& make, const Make& make_other) {
  host_api();  // the SDK's error helpers need the host table
  torch::manual_seed(0);
  auto model = make_model();
  auto opt = make(model->parameters());
  train(model, *opt, 0, 3);
  detail::OptimizerAdapter saver(opt);
  c10::IValue state = save_state(saver);

  auto copy = make_model();
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < model->parameters().size(); ++i)
      copy->parameters()[i].copy_(model->parameters()[i]);
  }
  auto opt2 = make_other(copy->parameters());
  detail::OptimizerAdapter loader(opt2);
  check_plugin(load_state(loader, state), "test", "load_state");
  CHECK(loader.table.get_lr(&loader.table, 0) == saver.table.get_lr(&saver.table, 0));
  train(model, *opt, 3, 3);
  train(copy, *opt2, 3, 3);
  for (size_t i = 0; i < model->parameters().size(); ++i) {
    INFO("parameter " << i);
    CHECK(torch::equal(model->parameters()[i], copy->parameters()[i]));
  }
  return state;
}

c10::IValue get(const c10::IValue& d, const std::string& key) {
  return d.toGenericDict().at(c10::IValue(key));
}

TEST_CASE("SGD with momentum resumes exactly and uses PyTorch's names", "[checkpoint]") {
  namespace o = torch::optim;
  c10::IValue s = check_exact_resume(
      [](auto p) { return std::make_shared<o::SGD>(p, o::SGDOptions(0.1).momentum(0.9).nesterov(true)); },
      [](auto p) { return std::make_shared<o::SGD>(p, o::SGDOptions(0.5).momentum(0.9).nesterov(true)); });
  const auto& group = get(s, "param_groups").toListRef()[0];
  CHECK(get(group, "lr").toDouble() == 0.1);
  CHECK(get(group, "momentum").toDouble() == 0.9);
  CHECK(get(group, "nesterov").toBool());
  CHECK(get(group, "params").toListRef().size() == 4);
  CHECK(get(group, "params").toListRef()[3].toInt() == 3);
  const auto& state = get(s, "state").toGenericDict();
  CHECK(state.size() == 4);
  CHECK(get(state.at(int64_t{0}), "momentum_buffer").toTensor().sizes() == at::IntArrayRef{5, 4});
}

TEST_CASE("Adam resumes exactly and uses PyTorch's names", "[checkpoint]") {
  namespace o = torch::optim;
  c10::IValue s = check_exact_resume(
      [](auto p) { return std::make_shared<o::Adam>(p, o::AdamOptions(0.01).amsgrad(true)); },
      [](auto p) { return std::make_shared<o::Adam>(p, o::AdamOptions(0.2).amsgrad(true)); });
  const auto& group = get(s, "param_groups").toListRef()[0];
  REQUIRE(get(group, "betas").isTuple());
  CHECK(get(group, "betas").toTupleRef().elements()[1].toDouble() == 0.999);
  CHECK(get(group, "amsgrad").toBool());
  const c10::IValue& p0 = get(s, "state").toGenericDict().at(int64_t{0});
  CHECK(get(p0, "step").toTensor().item<double>() == 3.0);
  for (const char* k : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"})
    CHECK(get(p0, k).toTensor().sizes() == at::IntArrayRef{5, 4});
}

TEST_CASE("AdamW, RMSprop and Adagrad resume exactly", "[checkpoint]") {
  namespace o = torch::optim;
  SECTION("AdamW") {
    check_exact_resume(
        [](auto p) { return std::make_shared<o::AdamW>(p, o::AdamWOptions(0.01).weight_decay(0.1)); },
        [](auto p) { return std::make_shared<o::AdamW>(p, o::AdamWOptions(0.3)); });
  }
  SECTION("RMSprop") {
    check_exact_resume(
        [](auto p) {
          return std::make_shared<o::RMSprop>(p, o::RMSpropOptions(0.01).momentum(0.5).centered(true));
        },
        [](auto p) {
          return std::make_shared<o::RMSprop>(p, o::RMSpropOptions(0.1).momentum(0.5).centered(true));
        });
  }
  SECTION("Adagrad") {
    check_exact_resume(
        [](auto p) { return std::make_shared<o::Adagrad>(p, o::AdagradOptions(0.1).lr_decay(0.01)); },
        [](auto p) { return std::make_shared<o::Adagrad>(p, o::AdagradOptions(0.7)); });
  }
}

TEST_CASE("optimizer state for other parameters is refused without changing the optimizer",
          "[checkpoint]") {
  host_api();
  namespace o = torch::optim;
  auto model = make_model();
  auto opt = std::make_shared<o::Adam>(model->parameters(), o::AdamOptions(0.01));
  train(model, *opt, 0, 1);
  detail::OptimizerAdapter saver(opt);
  c10::IValue state = save_state(saver);

  torch::nn::Linear other(4, 3);
  auto opt2 = std::make_shared<o::Adam>(other->parameters(), o::AdamOptions(0.5));
  detail::OptimizerAdapter loader(opt2);
  volt_error* err = load_state(loader, state);
  REQUIRE(err != nullptr);
  CHECK_THROWS_WITH(check_plugin(err, "module 'x'", "load_state"),
                    Catch::Contains("group 0 has 4 parameters, the optimizer has 2"));
  CHECK(opt2->param_groups()[0].options().get_lr() == 0.5);
  CHECK(opt2->state().empty());
}

}  // namespace
}  // namespace volt::host
