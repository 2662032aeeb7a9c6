// The reference of bench/overhead: the training that `volt fit --model=mlp --data=synthetic
// --model.optimizer=sgd` runs, written directly against LibTorch (no Volt code), with the same
// per-step timestamps as the step_timer callback.
//
// Same work per step as Volt's shipped plugins:
//  - data: one CPU generator seeded with `seed`; x = randn({n, shape...}), y = randint(0,
//    classes, {n}) for train, then val, then test (plugins/datamodules/synthetic.hpp);
//  - batching: per epoch randperm(n) from a generator seeded with seed + epoch, then each
//    batch is index_select of x and y with its slice of the permutation
//    (sdk/include/volt/sdk/tensor_datamodule.hpp);
//  - model: nn::Sequential of Linear, ReLU, ..., Linear on x.flatten(1), cross-entropy loss
//    (plugins/modules/mlp.hpp, classifier.hpp);
//  - optimizer: SGD(lr, momentum 0.9, weight_decay 0); gradients are set to none before
//    backward, as the trainer's zero_grad(set_to_none=true) does.
//
// The timestamp of a step is taken where step_timer's on_train_batch_start fires: after the
// batch was fetched, before the forward pass. Output, as step_timer writes it:
//   {"batch_start_ns": [...], "end_ns": N, "cpu_clock_every": K, "batch_start_cpu_ns": [...],
//    "first_step_process_cpu_ns": N}
// where the thread's CPU clock is read at steps 0, K, 2K, ... (--cpu_clock_every, as step_timer's
// cpu_clock_every).
// and with --phases=1 also "phase_ns": {"forward_end", "backward_start", "backward_end",
// "batch_end"}, taken where step_timer's on_before_zero_grad, on_before_backward,
// on_after_backward and on_train_batch_end fire.
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

struct Options {
  int64_t in_features = 784;
  std::vector<int64_t> hidden_sizes{256, 128};
  int64_t num_classes = 10;
  std::vector<int64_t> shape{784};
  int64_t size = 1024;
  int64_t val_size = 256;
  int64_t test_size = 256;
  int64_t batch_size = 32;
  int64_t epochs = 1;
  uint64_t seed = 0;
  double lr = 0.01;
  bool phases = false;
  int64_t cpu_clock_every = 1;
  std::string output;
};

constexpr const char* kUsage =
    "usage: volt_bench_handwritten --output=FILE [--in_features=N] [--hidden_sizes=A,B,...]\n"
    "         [--num_classes=N] [--shape=A,B,...] [--size=N] [--val_size=N] [--test_size=N]\n"
    "         [--batch_size=N] [--epochs=N] [--seed=N] [--lr=X] [--phases=0|1]\n"
    "         [--cpu_clock_every=N]\n";

std::vector<int64_t> parse_list(const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(std::stoll(item));
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::cerr << "volt_bench_handwritten: bad argument '" << arg << "'\n" << kUsage;
      std::exit(2);
    }
    std::string key = arg.substr(2, eq - 2);
    std::string value = arg.substr(eq + 1);
    if (key == "in_features") o.in_features = std::stoll(value);
    else if (key == "hidden_sizes") o.hidden_sizes = parse_list(value);
    else if (key == "num_classes") o.num_classes = std::stoll(value);
    else if (key == "shape") o.shape = parse_list(value);
    else if (key == "size") o.size = std::stoll(value);
    else if (key == "val_size") o.val_size = std::stoll(value);
    else if (key == "test_size") o.test_size = std::stoll(value);
    else if (key == "batch_size") o.batch_size = std::stoll(value);
    else if (key == "epochs") o.epochs = std::stoll(value);
    else if (key == "seed") o.seed = std::stoull(value);
    else if (key == "lr") o.lr = std::stod(value);
    else if (key == "output") o.output = value;
    else if (key == "phases") o.phases = value == "1" || value == "true";
    else if (key == "cpu_clock_every") o.cpu_clock_every = std::max<int64_t>(1, std::stoll(value));
    else {
      std::cerr << "volt_bench_handwritten: unknown option '--" << key << "'\n" << kUsage;
      std::exit(2);
    }
  }
  if (o.output.empty()) {
    std::cerr << kUsage;
    std::exit(2);
  }
  return o;
}

struct Split {
  torch::Tensor x;
  torch::Tensor y;
};

void append_array(std::string& text, const char* key, const std::vector<int64_t>& values) {
  text += "\"";
  text += key;
  text += "\": [";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(values[i]);
  }
  text += "]";
}

struct Timings {
  std::vector<int64_t> starts;      // CLOCK_MONOTONIC at each step start
  std::vector<int64_t> cpu_starts;  // CLOCK_THREAD_CPUTIME_ID at every cpu_clock_every-th start
  int64_t cpu_clock_every = 1;
  int64_t first_process_cpu_ns = 0;
  // With --phases=1: CLOCK_MONOTONIC where step_timer's phase hooks fire in volt.
  bool phases = false;
  std::vector<int64_t> forward_end, backward_start, backward_end, batch_end;
  void mark(std::vector<int64_t>& v) const {
    if (phases) v.push_back(clock_ns(CLOCK_MONOTONIC));
  }
};

bool write_json(const std::string& path, const Timings& t, int64_t end_ns) {
  std::string text = "{";
  append_array(text, "batch_start_ns", t.starts);
  text += ", \"end_ns\": " + std::to_string(end_ns);
  text += ", \"cpu_clock_every\": " + std::to_string(t.cpu_clock_every) + ", ";
  append_array(text, "batch_start_cpu_ns", t.cpu_starts);
  text += ", \"first_step_process_cpu_ns\": " + std::to_string(t.first_process_cpu_ns);
  if (t.phases) {
    text += ", \"phase_ns\": {";
    append_array(text, "forward_end", t.forward_end);
    text += ", ";
    append_array(text, "backward_start", t.backward_start);
    text += ", ";
    append_array(text, "backward_end", t.backward_end);
    text += ", ";
    append_array(text, "batch_end", t.batch_end);
    text += "}";
  }
  text += "}\n";
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fclose(f) == 0 && ok;
}

// One epoch of training. Not inlined, so that profilers can single it out (e.g.
// valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*train_epoch*'), as
// TrainingEpochLoop::run in volt.
__attribute__((noinline)) void train_epoch(const Options& o, int64_t epoch, const Split& train,
                                           torch::nn::Sequential& model,
                                           std::vector<torch::Tensor>& params,
                                           torch::optim::Optimizer& optimizer, Timings& t) {
  const int64_t n = o.size;
  const int64_t batches = (n + o.batch_size - 1) / o.batch_size;
  // The epoch's order, from a generator seeded with seed + epoch (computed once per epoch).
  auto order_gen = at::make_generator<at::CPUGeneratorImpl>(o.seed + static_cast<uint64_t>(epoch));
  torch::Tensor order = torch::randperm(n, order_gen, torch::TensorOptions().dtype(torch::kLong));
  for (int64_t b = 0; b < batches; ++b) {
    int64_t begin = b * o.batch_size;
    int64_t len = std::min(o.batch_size, n - begin);
    torch::Tensor idx = order.narrow(0, begin, len);
    torch::Tensor x = train.x.index_select(0, idx);
    torch::Tensor y = train.y.index_select(0, idx);

    int64_t now = clock_ns(CLOCK_MONOTONIC);
    if (t.starts.empty()) t.first_process_cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    if (static_cast<int64_t>(t.starts.size()) % t.cpu_clock_every == 0)
      t.cpu_starts.push_back(clock_ns(CLOCK_THREAD_CPUTIME_ID));
    t.starts.push_back(now);
    torch::Tensor loss = torch::cross_entropy_loss(model->forward(x.flatten(1)), y);
    t.mark(t.forward_end);
    for (auto& p : params) p.mutable_grad() = torch::Tensor();  // zero_grad(set_to_none)
    t.mark(t.backward_start);
    loss.backward();
    t.mark(t.backward_end);
    optimizer.step();
    t.mark(t.batch_end);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  torch::set_num_threads(1);

  // Data, as the synthetic datamodule's setup draws it: one generator, splits in order.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  auto make = [&](int64_t n) {
    std::vector<int64_t> full{n};
    full.insert(full.end(), o.shape.begin(), o.shape.end());
    Split s;
    s.x = torch::randn(full, gen);
    s.y = torch::randint(0, o.num_classes, {n}, gen, torch::kLong);
    return s;
  };
  Split train = make(o.size);
  Split val = make(o.val_size);
  Split test = make(o.test_size);
  (void)val;
  (void)test;

  // Model: the mlp module's layers, default LibTorch initialisation.
  torch::manual_seed(o.seed);
  torch::nn::Sequential model;
  int64_t in = o.in_features;
  for (int64_t width : o.hidden_sizes) {
    model->push_back(torch::nn::Linear(in, width));
    model->push_back(torch::nn::ReLU());
    in = width;
  }
  model->push_back(torch::nn::Linear(in, o.num_classes));
  model->train();
  std::vector<torch::Tensor> params = model->parameters();
  torch::optim::SGD optimizer(params, torch::optim::SGDOptions(o.lr).momentum(0.9).weight_decay(0));

  Timings t;
  t.phases = o.phases;
  t.cpu_clock_every = o.cpu_clock_every;
  for (auto* v : {&t.starts, &t.cpu_starts, &t.forward_end, &t.backward_start, &t.backward_end,
                  &t.batch_end})
    v->reserve(1 << 16);
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch)
    train_epoch(o, epoch, train, model, params, optimizer, t);
  int64_t end_ns = clock_ns(CLOCK_MONOTONIC);

  if (!write_json(o.output, t, end_ns)) {
    std::cerr << "volt_bench_handwritten: cannot write " << o.output << "\n";
    return 1;
  }
  return 0;
}
