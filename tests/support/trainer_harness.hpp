// Shared by the trainer tests (tests/host/trainer, tests/e2e): runs the real host in process
// the way `volt fit` does (host/commands/run_command.cpp), temporary folders, and readers for
// what the test plugins (tests/support/plugins/recording_plugins.cpp) record.
//
// Paths come from tests/CMakeLists.txt:
//   VOLT_TEST_SHIPPED_PLUGIN_DIR  the build's lib/volt/plugins (mlp, synthetic, csv, ...)
//   VOLT_TEST_EXTRA_PLUGIN_DIR    the test plugins (recording_module, loss_recorder, ...)
#pragma once

#include "config/command_line.hpp"
#include "config/config_resolver.hpp"
#include "plugin/registry.hpp"
#include "runtime/host_api.hpp"
#include "trainer/seed.hpp"
#include "trainer/trainer.hpp"
#include "support/remove_tree.hpp"

#include <volt/sdk/refs.hpp>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace volt::trainer_test {

namespace fs = std::filesystem;

inline fs::path shipped_plugin_dir() { return VOLT_TEST_SHIPPED_PLUGIN_DIR; }
inline fs::path extra_plugin_dir() { return VOLT_TEST_EXTRA_PLUGIN_DIR; }

// A fresh empty folder under the system temp dir, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "trainer") {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("volt-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    volt::test::remove_tree(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { volt::test::remove_tree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// One registry with the shipped and the test plugins, for the whole test process (plugin
// libraries are never unloaded anyway). Files it refused are named when a plugin is missing.
inline host::PluginRegistry& registry() {
  static host::PluginRegistry* r = [] {
    host::host_api();  // installs the host table for the SDK's C++ helpers used in tests
    auto* reg = new host::PluginRegistry();
    reg->scan_directory(shipped_plugin_dir());
    reg->scan_directory(extra_plugin_dir());
    return reg;
  }();
  return *r;
}

inline std::string skipped_files() {
  std::string out;
  for (const auto& s : registry().skipped()) out += "\n  skipped " + s.file + ": " + s.reason;
  return out;
}

// Resolves `volt fit ARGS...` (flags only, without the subcommand) against the registry, as
// run_command does: validate_and_fill, then the host-derived defaults (logger save_dir from
// trainer.default_root_dir, strategy device cpu).
inline nlohmann::json resolve(const std::vector<std::string>& flags) {
  std::vector<std::string> args{"fit"};
  args.insert(args.end(), flags.begin(), flags.end());
  host::config::ParsedCommand command = host::config::parse_command_line(args, {});
  host::PluginRegistry& reg = registry();
  auto kind_of = [](const std::string& group) -> std::optional<int32_t> {
    if (group == "model") return VOLT_KIND_MODULE;
    if (group == "data") return VOLT_KIND_DATAMODULE;
    return host::kind_from_name(group);
  };
  auto lookup = [&](const std::string& group,
                    const std::string& id) -> std::optional<nlohmann::json> {
    auto kind = kind_of(group);
    const host::PluginRecord* r = kind ? reg.find(*kind, id) : nullptr;
    if (r == nullptr) return std::nullopt;
    return nlohmann::json::parse(r->schema);
  };
  auto list = [&](const std::string& group) {
    auto kind = kind_of(group);
    return kind ? reg.ids(*kind) : std::vector<std::string>{};
  };
  nlohmann::json resolved;
  try {
    resolved = host::config::validate_and_fill(command.config, lookup, list);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + skipped_files());
  }
  // Without a root, each run gets its own (kept until the test process exits): ctest -j runs
  // tests in parallel from one working directory, where their checkpoints would collide.
  nlohmann::json& trainer = resolved["trainer"];
  if (!trainer["default_root_dir"].is_string()) {
    static TempDir roots("harness-roots");
    static std::atomic<int> next{0};
    fs::path root = roots / ("run" + std::to_string(next++));
    fs::create_directories(root);
    trainer["default_root_dir"] = root.string();
  }
  std::string root = trainer["default_root_dir"].get<std::string>();
  if (resolved["logger"].is_array())
    for (auto& logger : resolved["logger"]) {
      auto& cfg = logger["config"];
      if (cfg.contains("save_dir") && cfg["save_dir"].is_null()) cfg["save_dir"] = root;
    }
  if (resolved["strategy"]["id"] == "single_device") resolved["strategy"]["config"]["device"] = "cpu";
  return resolved;
}

template <class Table>
host::Instance<Table> make_instance(int32_t kind, const nlohmann::json& section) {
  std::string id = section.at("id").get<std::string>();
  const host::PluginRecord* record = registry().find(kind, id);
  if (record == nullptr)
    throw std::runtime_error("no plugin '" + id + "' in the test registry" + skipped_files());
  auto context = std::make_unique<volt_host_context>();
  context->label = std::string(host::kind_name(kind)) + " '" + id + "'";
  context->id = id;
  void* instance = registry().create(*record, context.get(), section.at("config").dump());
  return host::Instance<Table>(static_cast<Table*>(instance), std::move(context));
}

inline NamedTensors clone_all(const NamedTensors& tensors) {
  NamedTensors out;
  for (const auto& [name, t] : tensors) out.emplace_back(name, t.detach().clone());
  return out;
}

struct FitResult {
  int64_t global_step = 0;
  int64_t current_epoch = 0;
  std::string log_dir;
  std::map<std::string, double> callback_metrics;
  NamedTensors initial_parameters;  // right after the module was created (clones)
  NamedTensors final_parameters;    // after fit (clones)
  std::string last_checkpoint;      // what the default checkpointing kept ("" if none)
};

// Runs `volt fit` on a resolved config in process, in run_command's order: seed_everything
// (when the config has an integer seed), then module, datamodule, strategy, precision, loggers
// and callbacks are created, then Trainer::fit (with `ckpt_path`, as --ckpt_path). `adjust`
// sees the components before the trainer is made (e.g. to add a callback table of a test's own).
inline FitResult fit(const nlohmann::json& resolved,
                     const std::optional<std::string>& ckpt_path = std::nullopt,
                     const std::function<void(host::TrainerComponents&)>& adjust = {}) {
  if (resolved["seed_everything"].is_number_integer())
    host::seed_everything(resolved["seed_everything"].get<uint64_t>());
  host::TrainerComponents c;
  c.module = make_instance<volt_module>(VOLT_KIND_MODULE, resolved["model"]);
  c.data = make_instance<volt_datamodule>(VOLT_KIND_DATAMODULE, resolved["data"]);
  c.strategy = make_instance<volt_strategy>(VOLT_KIND_STRATEGY, resolved["strategy"]);
  c.precision = make_instance<volt_precision>(VOLT_KIND_PRECISION, resolved["precision"]);
  if (resolved["logger"].is_array())
    for (const auto& l : resolved["logger"])
      c.loggers.push_back(make_instance<volt_logger>(VOLT_KIND_LOGGER, l));
  for (const auto& cb : resolved["callbacks"])
    c.callbacks.push_back(make_instance<volt_callback>(VOLT_KIND_CALLBACK, cb));
  if (adjust) adjust(c);

  FitResult result;
  ModuleRef module(c.module.get());
  result.initial_parameters = clone_all(module.named_parameters());
  {
    host::Trainer trainer(host::TrainerOptions::from_json(resolved["trainer"]), c);
    trainer.fit(ckpt_path);
    result.last_checkpoint = trainer.last_checkpoint();
    result.global_step = trainer.global_step();
    result.current_epoch = trainer.current_epoch();
    result.log_dir = trainer.log_dir();
    result.callback_metrics = trainer.callback_metrics();
  }
  result.final_parameters = clone_all(module.named_parameters());
  return result;
}

// --- what the test plugins record -------------------------------------------------------------

inline std::vector<std::string> read_lines(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One line of loss_recorder's file.
struct RecordedLoss {
  int64_t epoch = 0;
  int64_t batch_idx = 0;
  int64_t global_step = 0;  // optimizer steps taken when on_train_batch_end ran
  double outputs = 0;        // the loss on_train_batch_end received
  double backward_loss = 0;  // the loss on_before_backward received (NaN: not called)
};

inline std::vector<RecordedLoss> read_losses(const fs::path& path) {
  std::vector<RecordedLoss> out;
  for (const auto& line : read_lines(path)) {
    std::istringstream in(line);
    RecordedLoss r;
    std::string outputs, backward;
    in >> r.epoch >> r.batch_idx >> r.global_step >> outputs >> backward;
    r.outputs = std::strtod(outputs.c_str(), nullptr);  // %a reads back exactly
    r.backward_loss = std::strtod(backward.c_str(), nullptr);
    out.push_back(r);
  }
  return out;
}

}  // namespace volt::trainer_test
