// bench/fsdp: what each rank keeps of the model state, and what a step costs, under ddp and
// the fsdp strategy's three sharding strategies (issue 8). One run prints every figure side by
// side; it always exits 0 (PASS/MISS per target). A last row runs FULL_SHARD with
// --strategy.overlap=false (every unit reduced after backward), the baseline of the overlap.
//
//   volt_bench_fsdp [--steps=N] [--hidden=H]
//
// Each configuration trains an mlp 784 -> H -> H -> H -> 10 (H = 4864 by default: 51 million
// parameters) with Adam on 2 ranks, batch 64 per rank, one intra-op thread per rank. The
// model_state_meter callback adds up, on every rank just before each optimizer step, the bytes
// of the storages behind the parameters, their gradients and the optimizer state (each storage
// once); the table shows the largest rank. Peak RSS is the largest rank's VmHWM. Step time is
// the median time between training-batch starts on rank 0 (step_timer), after 2 warm-up steps.
#include "../common/volt_runs.hpp"

#include <cstdio>
#include <iostream>

namespace {

namespace fs = std::filesystem;
constexpr int kWarmup = 2;
constexpr double kMiB = 1024.0 * 1024.0;

struct Config {
  std::string label;
  std::vector<std::string> flags;
};

struct Result {
  double params = 0, grads = 0, optimizer = 0, peak_rss = 0;  // bytes, the largest rank
  double step_s = 0;
  double state() const { return params + grads + optimizer; }
};

Result run(const Config& c, int hidden, int steps, const fs::path& work, size_t index) {
  fs::path dir = work / ("run" + std::to_string(index));
  fs::create_directories(dir);
  const int batch = 64, ranks = 2, batches = steps + kWarmup + 1;
  std::string h = std::to_string(hidden);
  std::vector<std::string> args{
      VOLT_BINARY, "fit", "--plugin-dir", VOLT_BENCH_PLUGIN_DIR, "--model=mlp",
      "--model.in_features=784", "--model.hidden_sizes=[" + h + "," + h + "," + h + "]",
      "--model.optimizer=adam", "--model.lr=0.0001", "--data=synthetic", "--data.shape=[784]",
      "--data.num_classes=10", "--data.size=" + std::to_string(batch * ranks * batches),
      "--data.val_size=0", "--data.test_size=0", "--data.batch_size=" + std::to_string(batch),
      "--trainer.max_epochs=1", "--trainer.devices=2", "--trainer.limit_val_batches=0",
      "--trainer.num_sanity_val_steps=0", "--trainer.enable_checkpointing=false",
      "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
      "--logger=false", "--seed_everything=1", "--trainer.default_root_dir=" + (dir / "root").string(),
      "--callbacks+=step_timer", "--callbacks.output=" + (dir / "steps.json").string(),
      "--callbacks+=model_state_meter", "--callbacks.output=" + (dir / "state{rank}.json").string()};
  args.insert(args.end(), c.flags.begin(), c.flags.end());
  volt::bench::Output out = volt::bench::run_single_threaded(args, dir / "volt.log");
  if (out.status != 0) {
    std::cerr << c.label << ": volt failed (" << out.status << "):\n" << out.text << "\n";
    std::exit(0);  // benchmarks never fail the build
  }
  Result r;
  for (int rank = 0; rank < ranks; ++rank) {
    nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / ("state" + std::to_string(rank) + ".json")));
    Result mine;
    mine.params = j.at("params").get<double>();
    mine.grads = j.at("grads").get<double>();
    mine.optimizer = j.at("optimizer").get<double>();
    if (mine.state() > r.state()) r.params = mine.params, r.grads = mine.grads, r.optimizer = mine.optimizer;
    r.peak_rss = std::max(r.peak_rss, j.at("peak_rss").get<double>());
  }
  r.step_s = volt::bench::median_step_seconds(dir / "steps.json", kWarmup).wall_s;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int steps = std::stoi(volt::bench::flag(argc, argv, "--steps", "4"));
  int hidden = std::stoi(volt::bench::flag(argc, argv, "--hidden", "4864"));
  fs::path work = fs::temp_directory_path() / ("volt-bench-fsdp-" + std::to_string(::getpid()));
  fs::create_directories(work);
  const long long params = 784LL * hidden + hidden + 2LL * (hidden * static_cast<long long>(hidden) + hidden) +
                           hidden * 10LL + 10;
  // Units of about 10 million elements: every layer but the first closes one.
  const std::vector<Config> configs{
      {"ddp", {"--strategy=ddp"}},
      {"fsdp NO_SHARD", {"--strategy=fsdp", "--strategy.sharding_strategy=NO_SHARD",
                         "--strategy.min_num_params=10000000"}},
      {"fsdp SHARD_GRAD_OP", {"--strategy=fsdp", "--strategy.sharding_strategy=SHARD_GRAD_OP",
                              "--strategy.min_num_params=10000000"}},
      {"fsdp FULL_SHARD", {"--strategy=fsdp", "--strategy.sharding_strategy=FULL_SHARD",
                           "--strategy.min_num_params=10000000"}},
      // The same without starting reductions from backward's hooks: what the overlap gains.
      {"fsdp FULL_SHARD, after", {"--strategy=fsdp", "--strategy.sharding_strategy=FULL_SHARD",
                                  "--strategy.min_num_params=10000000", "--strategy.overlap=false"}}};
  const size_t full_shard = 3, after_backward = 4;
  std::vector<Result> results;
  for (size_t i = 0; i < configs.size(); ++i) results.push_back(run(configs[i], hidden, steps, work, i));

  std::printf("bench/fsdp: mlp 784-[%d,%d,%d]-10 (%lld parameters), Adam, 2 ranks, batch 64 per rank, "
              "%d timed steps\n\n", hidden, hidden, hidden, params, steps);
  std::printf("per rank, just before the optimizer step (MiB)          model state   peak RSS   step\n");
  std::printf("%-22s %9s %9s %9s %9s %7s %10s %8s %7s\n", "strategy", "params", "grads", "optimizer",
              "total", "/ ddp", "MiB", "ms", "/ ddp");
  const Result& ddp = results.front();
  for (size_t i = 0; i < configs.size(); ++i) {
    const Result& r = results[i];
    std::printf("%-22s %9.1f %9.1f %9.1f %9.1f %6.2fx %10.1f %8.1f %6.2fx\n", configs[i].label.c_str(),
                r.params / kMiB, r.grads / kMiB, r.optimizer / kMiB, r.state() / kMiB,
                r.state() / ddp.state(), r.peak_rss / kMiB, r.step_s * 1e3, r.step_s / ddp.step_s);
  }
  double ratio = results[full_shard].state() / ddp.state();
  std::printf("\nFULL_SHARD model state / ddp = %.2fx (target <= 0.6x) %s\n", ratio,
              ratio <= 0.6 ? "PASS" : "MISS");
  std::printf("FULL_SHARD step, reductions started inside backward / all after backward = %.3f\n",
              results[full_shard].step_s / results[after_backward].step_s);
  std::printf("(ddp's gradient buckets, %.1f MiB more per rank, are communication buffers and not "
              "counted above; Gloo has no reduce-scatter, so fsdp all-reduces a full gradient "
              "buffer per unit during the step: in peak RSS, not in the model state.)\n",
              static_cast<double>(params) * 4 / kMiB);
  std::error_code ec;
  fs::remove_all(work, ec);
  return 0;
}
