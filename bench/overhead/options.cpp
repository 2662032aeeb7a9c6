#include "options.hpp"

#include <cstdlib>
#include <iostream>

#ifndef VOLT_BINARY
#define VOLT_BINARY "volt"
#endif
#ifndef VOLT_BENCH_HANDWRITTEN
#define VOLT_BENCH_HANDWRITTEN "volt_bench_handwritten"
#endif
#ifndef VOLT_BENCH_PLUGIN_DIR
#define VOLT_BENCH_PLUGIN_DIR "bench/plugins"
#endif

namespace volt::bench::overhead {

namespace {

constexpr const char* kUsage = R"(usage: volt_bench_overhead [options]

Runs `volt fit` (mlp on synthetic data, sgd, logger/checkpointing/progress bar/model summary/
validation off, 1 thread) and a hand-written LibTorch loop doing the same work, alternately,
and prints the median ms per step, the ratio volt/hand-written and the time from process start
to the first training step.

options:
  --volt=PATH          volt host binary              (default: the one of this build)
  --handwritten=PATH   hand-written loop binary      (default: the one of this build)
  --plugin-dir=DIR     folder with the step_timer callback; repeatable (default: this build's
                       bench/plugins; the volt binary adds its own plugin folder itself)
  --reps=N             runs of each program per config            (default 5)
  --warmup=N           steps dropped at the start of each run     (default 10)
  --steps-a=N          training steps per run of config (a)       (default 2000)
  --steps-b=N          training steps per run of config (b)       (default 400)
  --only=a|b           run one config only
  --work-dir=DIR       where children write their timings and logs (default: a fresh folder
                       under $TMPDIR, removed at the end unless --keep)
  --keep               keep the work folder
  --print-commands     print the command line of each child (one run per program and config,
                       for profiling by hand) and exit
  --phases             also time the phases of each step (fetch, forward, zero_grad, backward,
                       optimizer) in both programs and print where the difference lies
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "volt_bench_overhead: " << message << "\n\n" << kUsage;
  std::exit(2);
}

int64_t parse_int(const std::string& key, const std::string& value, int64_t min) {
  try {
    size_t used = 0;
    int64_t v = std::stoll(value, &used);
    if (used == value.size() && v >= min) return v;
  } catch (const std::exception&) {
  }
  usage_error("--" + key + ": expected an integer >= " + std::to_string(min) + ", got '" +
              value + "'");
}


}  // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  o.volt = VOLT_BINARY;
  o.handwritten = VOLT_BENCH_HANDWRITTEN;
  o.plugin_dirs = {VOLT_BENCH_PLUGIN_DIR};
  bool dirs_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (arg == "--keep") {
      o.keep = true;
      continue;
    }
    if (arg == "--phases") {
      o.phases = true;
      continue;
    }
    if (arg == "--print-commands") {
      o.print_commands = true;
      continue;
    }
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos)
      usage_error("unexpected argument '" + arg + "' (options look like --key=value)");
    std::string key = arg.substr(2, eq - 2);
    std::string value = arg.substr(eq + 1);
    if (key == "volt") o.volt = value;
    else if (key == "handwritten") o.handwritten = value;
    else if (key == "plugin-dir") {
      if (!dirs_given) o.plugin_dirs.clear();
      dirs_given = true;
      o.plugin_dirs.push_back(value);
    } else if (key == "reps") o.reps = static_cast<int>(parse_int(key, value, 1));
    else if (key == "warmup") o.warmup = parse_int(key, value, 0);
    else if (key == "steps-a") o.steps_a = parse_int(key, value, 2);
    else if (key == "steps-b") o.steps_b = parse_int(key, value, 2);
    else if (key == "only") {
      if (value != "a" && value != "b") usage_error("--only: expected a or b");
      o.only = value;
    } else if (key == "work-dir") o.work_dir = value;
    else usage_error("unknown option '--" + key + "'");
  }
  return o;
}

std::string join_ints(const std::vector<int64_t>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + std::to_string(v[i]);
  return out;
}

std::vector<BenchConfig> make_configs(const Options& o) {
  return {
      {"a", "(a) mlp 32-[64]-10, batch 32", 32, {64}, 10, 32, o.steps_a, 1.03},
      {"b", "(b) mlp 784-[1024,1024]-10, batch 64", 784, {1024, 1024}, 10, 64, o.steps_b, 1.01},
  };
}

}  // namespace volt::bench::overhead
