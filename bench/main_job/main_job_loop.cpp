// The reference of bench/main_job: the README's main job,
//   volt fit --model=cnn --data=fashion_mnist --trainer.max_epochs=2 --seed_everything=42
//            --test-after-fit
// written directly against LibTorch (no Volt code), doing the same work:
//  - data: the four gzipped IDX files of dataset-fashion-mnist, pixels scaled to [0, 1] and
//    normalised with mean 0.2860 and std 0.3530 ([N, 1, 28, 28] floats), the last 5000
//    training images held out for validation (plugins/datamodules/fashion_mnist.hpp);
//  - batches of 64: the training split in the order randperm(n) draws from a generator seeded
//    with 42 + epoch, each batch index_select of images and labels; validation and test in order;
//  - model: conv3x3(1->32, pad 1), ReLU, maxpool 2, conv3x3(32->64, pad 1), ReLU, maxpool 2,
//    flatten, linear 3136->128, ReLU, dropout 0.25, linear 128->10 (plugins/modules/cnn.hpp);
//    Adam(1e-3), cross-entropy, gradients set to none before backward;
//  - the trainer's schedule: 2 sanity validation batches, then per epoch training and a full
//    validation pass (loss and accuracy), a checkpoint of the weights and optimizer state at
//    each epoch end (torch::save, as the default ModelCheckpoint saves one), then the test split.
// Prints the wall time from the start of main, the threads used and the test accuracy:
//   {"wall_s": 38.1, "threads": 2, "test_acc": 0.90, "test_loss": 0.28}
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace nn = torch::nn;

// A gzipped IDX file of unsigned bytes as a uint8 tensor of its shape.
torch::Tensor read_idx_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> buf(1 << 16);
  int n = 0;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0)
    bytes.insert(bytes.end(), buf.begin(), buf.begin() + n);
  gzclose(f);
  if (n < 0 || bytes.size() < 4 || bytes[2] != 0x08) throw std::runtime_error(path + ": not IDX");
  size_t rank = bytes[3];
  std::vector<int64_t> shape;
  size_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    size_t at = 4 + 4 * i;
    shape.push_back((int64_t{bytes[at]} << 24) | (int64_t{bytes[at + 1]} << 16) |
                    (int64_t{bytes[at + 2]} << 8) | int64_t{bytes[at + 3]});
    count *= static_cast<size_t>(shape.back());
  }
  size_t offset = 4 + 4 * rank;
  if (bytes.size() != offset + count) throw std::runtime_error(path + ": truncated");
  return torch::from_blob(bytes.data() + offset, shape, torch::kUInt8).clone();
}

struct Split {
  torch::Tensor x, y;
  int64_t size() const { return x.size(0); }
};

struct Cnn : nn::Module {
  nn::Sequential features{nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1)), nn::ReLU(),
                          nn::MaxPool2d(2), nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)),
                          nn::ReLU(), nn::MaxPool2d(2)};
  nn::Sequential classifier{nn::Flatten(), nn::Linear(64 * 7 * 7, 128), nn::ReLU(),
                            nn::Dropout(0.25), nn::Linear(128, 10)};
  Cnn() {
    register_module("features", features);
    register_module("classifier", classifier);
  }
  torch::Tensor forward(const torch::Tensor& x) { return classifier->forward(features->forward(x)); }
};

struct Metrics {
  double loss = 0, acc = 0;
};

// Mean over batches of the batch loss and accuracy, as the trainer's epoch mean of self.log.
Metrics evaluate(Cnn& model, const Split& split, int64_t batch_size, int64_t max_batches) {
  torch::NoGradGuard no_grad;
  model.eval();
  double loss = 0, acc = 0;
  int64_t batches = 0;
  for (int64_t begin = 0; begin < split.size() && batches < max_batches; begin += batch_size) {
    int64_t len = std::min(batch_size, split.size() - begin);
    torch::Tensor logits = model.forward(split.x.narrow(0, begin, len));
    torch::Tensor y = split.y.narrow(0, begin, len);
    loss += torch::cross_entropy_loss(logits, y).item<double>();
    acc += (logits.argmax(1) == y).to(torch::kFloat).mean().item<double>();
    ++batches;
  }
  model.train();
  return {loss / static_cast<double>(batches), acc / static_cast<double>(batches)};
}

int64_t flag(int argc, char** argv, const std::string& name, int64_t fallback) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(name + "=", 0) == 0) return std::stoll(a.substr(name.size() + 1));
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) try {
  const auto start = std::chrono::steady_clock::now();
  // --threads=N: LibTorch's intra-op threads (0: leave LibTorch's default).
  int64_t threads = flag(argc, argv, "--threads", 0);
  if (threads > 0) torch::set_num_threads(static_cast<int>(threads));
  const int64_t epochs = flag(argc, argv, "--epochs", 2);
  // For narrowing a difference down: --train_batches=N per epoch (0: all), --eval=0 skips the
  // sanity check, validation and test.
  const int64_t train_batches = flag(argc, argv, "--train_batches", 0);
  const bool eval = flag(argc, argv, "--eval", 1) != 0;
  const int64_t batch_size = 64, val_size = 5000, sanity_batches = 2;
  const uint64_t seed = 42;
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  const std::filesystem::path out_dir = std::filesystem::temp_directory_path() /
                                        ("volt-main-job-loop-" + std::to_string(::getpid()));
  std::filesystem::create_directories(out_dir);

  torch::manual_seed(seed);  // seed_everything(42) before the model is built
  auto images = [&](const char* name) {
    return ((read_idx_gz(dir + name).to(torch::kFloat) / 255.0 - 0.2860) / 0.3530).unsqueeze(1).contiguous();
  };
  auto labels = [&](const char* name) { return read_idx_gz(dir + name).to(torch::kLong); };
  torch::Tensor train_x = images("train-images-idx3-ubyte.gz");
  torch::Tensor train_y = labels("train-labels-idx1-ubyte.gz");
  const int64_t n = train_x.size(0) - val_size;
  Split train{train_x.narrow(0, 0, n), train_y.narrow(0, 0, n)};
  Split val{train_x.narrow(0, n, val_size), train_y.narrow(0, n, val_size)};
  Split test{images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")};

  Cnn model;
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(1e-3));
  if (eval) evaluate(model, val, batch_size, sanity_batches);  // the sanity check
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + static_cast<uint64_t>(epoch));
    torch::Tensor order = torch::randperm(n, gen, torch::TensorOptions().dtype(torch::kLong));
    const int64_t end = train_batches > 0 ? std::min(n, train_batches * batch_size) : n;
    for (int64_t begin = 0; begin < end; begin += batch_size) {
      torch::Tensor idx = order.narrow(0, begin, std::min(batch_size, n - begin));
      torch::Tensor loss = torch::cross_entropy_loss(model.forward(train.x.index_select(0, idx)),
                                                     train.y.index_select(0, idx));
      for (auto& p : model.parameters()) p.mutable_grad() = torch::Tensor();
      loss.backward();
      optimizer.step();
    }
    if (eval) {
      Metrics v = evaluate(model, val, batch_size, INT64_MAX);
      std::cerr << "epoch " << epoch << ": val_loss " << v.loss << ", val_acc " << v.acc << "\n";
    }
    torch::save(model.parameters(), (out_dir / "weights.pt").string());
    torch::save(optimizer, (out_dir / "optimizer.pt").string());
  }
  Metrics t = eval ? evaluate(model, test, batch_size, INT64_MAX) : Metrics{};
  std::filesystem::remove_all(out_dir);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"wall_s\": %.3f, \"threads\": %d, \"test_acc\": %.4f, \"test_loss\": %.4f}\n", wall,
              torch::get_num_threads(), t.acc, t.loss);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "volt_bench_main_job_loop: " << e.what() << "\n";
  return 1;
}
