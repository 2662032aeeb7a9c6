// Command line and configs of volt_bench_overhead (see overhead_bench.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace volt::bench::overhead {

struct BenchConfig {
  std::string key;    // "a", "b"
  std::string label;  // for the table
  int64_t in_features;
  std::vector<int64_t> hidden_sizes;
  int64_t num_classes;
  int64_t batch_size;
  int64_t steps;
  double ratio_target;
};

struct Options {
  std::string volt;                      // default: this build's host
  std::string handwritten;               // default: this build's volt_bench_handwritten
  std::vector<std::string> plugin_dirs;  // default: this build's bench/plugins
  int reps = 5;
  int64_t warmup = 10;
  int64_t steps_a = 2000;
  int64_t steps_b = 400;
  std::string only;  // "", "a" or "b"
  std::string work_dir;
  bool keep = false;
  bool phases = false;
  bool print_commands = false;
  double startup_target_ms = 100.0;
};

// Parses argv; --help prints the usage and exits 0, a bad option prints it and exits 2.
Options parse_options(int argc, char** argv);

// The two configs of the issue: (a) a small model where the framework's work shows, (b) a large
// one where it should vanish.
std::vector<BenchConfig> make_configs(const Options& o);

// "1,2,3" from {1, 2, 3} with `sep` between.
std::string join_ints(const std::vector<int64_t>& v, const char* sep);

}  // namespace volt::bench::overhead
