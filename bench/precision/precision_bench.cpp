// bench/precision: step time of every precision against 32-true, for `cnn` (synthetic
// [1,28,28]) and `mlp` 784-[1024,1024]-10 (synthetic [784]), batch 64, one thread, in one
// run. Rounds alternate the precisions so that drift hits all of them; medians over rounds.
//
//   volt_bench_precision [--steps=40] [--repeats=3] [--accelerator=cpu|cuda]
//
// On CUDA only 32-true, 16-mixed and bf16-mixed are run (the GPU rows of issue 5).
#include "../common/volt_runs.hpp"

#include <cstdio>
#include <iostream>
#include <map>

namespace {

namespace fs = std::filesystem;
constexpr size_t kWarmup = 5;

// Median step seconds of one `volt fit`, or a negative number when the run failed (e.g. a
// precision this LibTorch cannot run on this device).
double step_seconds(const std::string& model_flags, const std::string& shape,
                    const std::string& precision, const std::string& accelerator, int steps,
                    const fs::path& work, std::string& failure) {
  fs::path timer = work / "steps.json";
  fs::remove(timer);
  int batches = steps + static_cast<int>(kWarmup) + 1;
  std::vector<std::string> args{VOLT_BINARY, "fit", "--plugin-dir", VOLT_BENCH_PLUGIN_DIR,
                                "--data=synthetic", "--data.shape=" + shape,
                                "--data.num_classes=10", "--data.size=" + std::to_string(64 * batches),
                                "--data.batch_size=64", "--trainer.max_epochs=1",
                                "--trainer.limit_val_batches=0", "--trainer.num_sanity_val_steps=0",
                                "--trainer.enable_checkpointing=false",
                                "--trainer.enable_progress_bar=false",
                                "--trainer.enable_model_summary=false", "--logger=false",
                                "--seed_everything=1", "--trainer.accelerator=" + accelerator,
                                "--trainer.default_root_dir=" + (work / "root").string(),
                                "--precision=" + precision, "--callbacks+=step_timer",
                                "--callbacks.output=" + timer.string()};
  for (std::istringstream in(model_flags); in;) {
    std::string f;
    if (in >> f) args.push_back(f);
  }
  volt::bench::Output out = volt::bench::run_single_threaded(args, work / "volt.log");
  if (out.status != 0) {
    size_t at = out.text.find("error:");
    failure = at == std::string::npos ? "exit " + std::to_string(out.status)
                                      : out.text.substr(at, out.text.find('\n', at) - at);
    return -1;
  }
  return volt::bench::median_step_seconds(timer, kWarmup).wall_s;
}

}  // namespace

int main(int argc, char** argv) {
  int steps = std::stoi(volt::bench::flag(argc, argv, "--steps", "40"));
  int repeats = std::stoi(volt::bench::flag(argc, argv, "--repeats", "3"));
  std::string accelerator = volt::bench::flag(argc, argv, "--accelerator", "cpu");
  fs::path work = fs::temp_directory_path() / ("volt-bench-precision-" + std::to_string(::getpid()));
  fs::create_directories(work);

  std::vector<std::string> precisions =
      accelerator == "cuda"
          ? std::vector<std::string>{"32-true", "16-mixed", "bf16-mixed"}
          : std::vector<std::string>{"32-true", "64-true", "bf16-true", "16-true", "bf16-mixed", "16-mixed"};
  struct Model {
    const char* name;
    const char* flags;
    const char* shape;
  };
  const Model models[] = {
      {"cnn", "--model=cnn", "[1,28,28]"},
      {"mlp 784-[1024,1024]-10",
       "--model=mlp --model.in_features=784 --model.hidden_sizes=[1024,1024] --model.optimizer=sgd",
       "[784]"}};

  std::printf("bench/precision (%s, 1 thread, batch 64, %d timed steps, median of %d rounds)\n",
              accelerator.c_str(), steps, repeats);
  for (const Model& m : models) {
    std::map<std::string, std::vector<double>> seconds;
    std::map<std::string, std::string> failures;
    for (int r = 0; r < repeats; ++r)
      for (const auto& p : precisions) {
        if (failures.count(p)) continue;
        std::string failure;
        double s = step_seconds(m.flags, m.shape, p, accelerator, steps, work, failure);
        if (s < 0) failures[p] = failure;
        else seconds[p].push_back(s);
      }
    double base = volt::bench::median(seconds["32-true"]);
    std::printf("\n%-26s median step ms   vs 32-true\n", m.name);
    for (const auto& p : precisions) {
      if (failures.count(p)) {
        std::printf("  %-12s  not run: %s\n", p.c_str(), failures[p].c_str());
        continue;
      }
      double s = volt::bench::median(seconds[p]);
      std::printf("  %-12s  %14.2f   %8.2fx\n", p.c_str(), s * 1e3, base > 0 ? s / base : 0.0);
    }
  }
  std::error_code ec;
  fs::remove_all(work, ec);
  return 0;
}
