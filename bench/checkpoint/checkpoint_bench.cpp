// bench/checkpoint: saving and loading a Lightning checkpoint of a ~100M-parameter model with
// Adam state, the way the trainer does it, against writing and reading the same number of
// bytes with plain file I/O, side by side in one run.
//
// Volt save: the optimizer state crosses the C ABI (volt_optimizer.save_state: JSON structure
// plus tensor handles), the host builds the checkpoint dict and writes it with write_torch_file
// behind an AtomicFile (temporary file, fsync, rename, fsync of the folder).
// Volt load: load_checkpoint_file, load_state_dict into the live parameters, and the
// optimizer's state back through volt_optimizer.load_state.
// Plain I/O: write(2) of a buffer of the checkpoint's size to a temporary file, fsync, rename
// (the same durability); read(2) of the whole file into memory.
//
//   volt_bench_checkpoint [--params-millions=100] [--repeats=4] [--dir=DIR]
#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/state_dict.hpp"

#include <volt/sdk/optimizer_adapter.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Model {
  volt::NamedTensors params;
  std::shared_ptr<torch::optim::Adam> adam;
  volt::detail::OptimizerAdapter* adapter = nullptr;  // owned through adapter->table.destroy
};

// `millions` of parameters in 10 square-ish layers, with one Adam step's state.
Model make_model(int64_t millions) {
  Model m;
  int64_t per_layer = millions * 1000000 / 10;
  int64_t rows = 1000, cols = per_layer / rows;
  std::vector<torch::Tensor> list;
  for (int i = 0; i < 10; ++i) {
    auto w = torch::randn({rows, cols}).requires_grad_();
    w.mutable_grad() = torch::randn({rows, cols});
    m.params.emplace_back("layers." + std::to_string(i) + ".weight", w);
    list.push_back(w);
  }
  m.adam = std::make_shared<torch::optim::Adam>(list, torch::optim::AdamOptions(1e-3));
  m.adam->step();
  m.adapter = new volt::detail::OptimizerAdapter(m.adam);
  return m;
}

c10::IValue optimizer_state(Model& m) {
  volt::StateCollector collected;
  volt::detail::check(m.adapter->table.save_state(&m.adapter->table, collected.sink()), "save_state");
  return collected.value();
}

void volt_save(Model& m, const fs::path& path) {
  c10::impl::GenericDict ck(c10::StringType::get(), c10::AnyType::get());
  ck.insert("epoch", int64_t{1});
  ck.insert("global_step", int64_t{1000});
  ck.insert("pytorch-lightning_version", std::string(volt::host::kLightningFormatVersion));
  ck.insert("state_dict", volt::host::state_dict_of(m.params));
  c10::impl::GenericList optimizers(c10::AnyType::get());
  optimizers.push_back(optimizer_state(m));
  ck.insert("optimizer_states", optimizers);
  volt::host::save_checkpoint_file(path, ck);
}

void volt_load(Model& m, const fs::path& path) {
  volt::host::CheckpointFile file = volt::host::load_checkpoint_file(path);
  volt::host::load_state_dict(m.params, file.state_dict(), file.name());
  const c10::IValue& opt = file.find("optimizer_states")->toListRef()[0];
  volt::StateView view(opt);
  volt::detail::check(m.adapter->table.load_state(&m.adapter->table, view.get()), "load_state");
}

void plain_write(const std::vector<char>& buffer, const fs::path& path) {
  fs::path tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + tmp.string());
  size_t done = 0;
  while (done < buffer.size()) {
    ssize_t n = ::write(fd, buffer.data() + done, std::min<size_t>(buffer.size() - done, 64 << 20));
    if (n <= 0) throw std::runtime_error("write failed");
    done += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  fs::rename(tmp, path);
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  ::fsync(dir);
  ::close(dir);
}

std::vector<char> plain_read(const fs::path& path) {
  std::vector<char> out(fs::file_size(path));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n <= 0) throw std::runtime_error("read failed");
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t millions = 100, repeats = 4;
  fs::path dir = fs::temp_directory_path() / ("volt-bench-checkpoint-" + std::to_string(::getpid()));
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--params-millions=", 0) == 0) millions = std::stoll(a.substr(18));
    else if (a.rfind("--repeats=", 0) == 0) repeats = std::max<int64_t>(1, std::stoll(a.substr(10)));
    else if (a.rfind("--dir=", 0) == 0) dir = a.substr(6);
    else {
      std::fprintf(stderr, "usage: %s [--params-millions=100] [--repeats=4] [--dir=DIR]\n", argv[0]);
      return a == "--help" ? 0 : 2;
    }
  }
  torch::manual_seed(0);
  fs::create_directories(dir);
  Model m = make_model(millions);
  fs::path ckpt = dir / "model.ckpt", plain = dir / "plain.bin";

  std::vector<double> vs, vl, ps, pl;
  // The sizes first (one untimed save), then each repeat in alternating order (volt first,
  // then plain first): the page cache's writeback of one write slows the next one, whichever
  // it is.
  volt_save(m, ckpt);
  std::vector<char> buffer(fs::file_size(ckpt), 1);
  auto timed = [](std::vector<double>& into, auto&& fn) {
    auto t = Clock::now();
    fn();
    into.push_back(seconds_since(t));
  };
  for (int64_t r = 0; r < repeats; ++r) {
    auto volt_round = [&] {
      timed(vs, [&] { volt_save(m, ckpt); });
      timed(vl, [&] { volt_load(m, ckpt); });
    };
    auto plain_round = [&] {
      timed(ps, [&] { plain_write(buffer, plain); });
      timed(pl, [&] { std::vector<char> back = plain_read(plain); });
    };
    if (r % 2 == 0) volt_round(), plain_round();
    else plain_round(), volt_round();
  }
  double gb = static_cast<double>(fs::file_size(ckpt)) / 1e9;
  std::printf("checkpoint of %lld M parameters + Adam state: %.3f GB, median of %lld\n",
              static_cast<long long>(millions), gb, static_cast<long long>(repeats));
  std::printf("%-6s %12s %12s %8s %8s\n", "", "volt (s)", "plain (s)", "ratio", "target");
  double save_ratio = median(vs) / median(ps), load_ratio = median(vl) / median(pl);
  std::printf("%-6s %12.3f %12.3f %8.2f %8s\n", "save", median(vs), median(ps), save_ratio,
              save_ratio <= 1.3 ? "PASS" : "MISS");
  std::printf("%-6s %12.3f %12.3f %8.2f %8s\n", "load", median(vl), median(pl), load_ratio,
              load_ratio <= 1.3 ? "PASS" : "MISS");
  auto list = [](const char* what, const std::vector<double>& v) {
    std::printf("%-22s", what);
    for (double x : v) std::printf(" %7.3f", x);
    std::printf("\n");
  };
  std::printf("each run (s), volt first in runs 1, 3, ...; plain first in runs 2, 4, ...:\n");
  list("  volt save", vs);
  list("  plain write", ps);
  list("  volt load", vl);
  list("  plain read", pl);
  m.adapter->table.destroy(&m.adapter->table);
  fs::remove_all(dir);
  return 0;
}
