// bench/logging: what one logged scalar costs the training thread, for each shipped logger,
// called the way the trainer calls loggers (log_metrics then save, through the C ABI), with
// 100,000 scalars per logger in one run. The final write (finalize) is timed apart: it happens
// once, after training. Target (issue 6): under 5 microseconds per scalar.
//
//   volt_bench_logging [--scalars=100000] [--per-call=1]
#include "config/json_schema.hpp"
#include "plugin/registry.hpp"
#include "runtime/host_api.hpp"

#include <volt/sdk/core.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace {

std::string flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(name + "=", 0) == 0) return a.substr(name.size() + 1);
  }
  return fallback;
}

void check(volt_error* e, const std::string& what) {
  if (e == nullptr) return;
  std::string m = volt::host::host_api()->error_message(e);
  volt::host::host_api()->error_free(e);
  throw std::runtime_error(what + ": " + m);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t scalars = std::stoll(flag(argc, argv, "--scalars", "100000"));
  int64_t per_call = std::stoll(flag(argc, argv, "--per-call", "1"));
  volt::host::host_api();
  volt::host::PluginRegistry registry;
  registry.scan_directory(VOLT_BENCH_SHIPPED_PLUGIN_DIR);
  fs::path work = fs::temp_directory_path() / ("volt-bench-logging-" + std::to_string(::getpid()));
  fs::create_directories(work);

  std::printf("bench/logging: %lld scalars, %lld per logging call, log_metrics + save per call\n",
              static_cast<long long>(scalars), static_cast<long long>(per_call));
  std::printf("  logger        us per scalar   finalize ms   target < 5 us\n");
  std::vector<std::string> names;
  for (int64_t i = 0; i < per_call; ++i) names.push_back("metric_" + std::to_string(i));
  for (const char* id : {"csv", "jsonl", "mlflow", "tensorboard"}) {
    const volt::host::PluginRecord* record = registry.find(VOLT_KIND_LOGGER, id);
    if (record == nullptr) {
      std::printf("  %-12s  not installed\n", id);
      continue;
    }
    nlohmann::json config = volt::host::config::apply_schema(
        nlohmann::json::parse(record->schema), {{"save_dir", (work / id).string()}}, "logger");
    volt_host_context context;
    context.label = std::string("logger '") + id + "'";
    auto* logger = static_cast<volt_logger*>(registry.create(*record, &context, config.dump()));
    std::vector<volt_metric> row(names.size());
    int64_t calls = scalars / per_call;
    auto start = std::chrono::steady_clock::now();
    for (int64_t step = 0; step < calls; ++step) {
      for (size_t k = 0; k < names.size(); ++k)
        row[k] = {names[k].c_str(), 0.5 + static_cast<double>(step) * 1e-3};
      check(logger->log_metrics(logger, row.data(), row.size(), step), "log_metrics");
      check(logger->save(logger), "save");
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto fin_start = std::chrono::steady_clock::now();
    check(logger->finalize(logger, "success"), "finalize");
    double fin = std::chrono::duration<double>(std::chrono::steady_clock::now() - fin_start).count();
    double us = seconds * 1e6 / static_cast<double>(calls * per_call);
    std::printf("  %-12s  %13.3f   %11.1f   %s\n", id, us, fin * 1e3, us < 5.0 ? "PASS" : "MISS");
    logger->destroy(logger);
  }
  std::error_code ec;
  fs::remove_all(work, ec);
  return 0;
}
