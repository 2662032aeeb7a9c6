#include "commands/run_command.hpp"

#include "commands/checkpoint_hparams.hpp"
#include "commands/model_callbacks.hpp"

#include "commands/plugin_loading.hpp"
#include "config/config_error.hpp"
#include "config/config_resolver.hpp"
#include "config/json_schema.hpp"
#include "config/yaml_format.hpp"
#include "console/tables.hpp"
#include "distributed/heartbeat.hpp"
#include "distributed/launcher.hpp"
#include "distributed/process_plan.hpp"
#include "plugin/registry.hpp"
#include "runtime/host_api.hpp"
#include "runtime/intra_op_threads.hpp"
#include "runtime/log.hpp"
#include "runtime/signals.hpp"
#include "trainer/interrupted.hpp"
#include "trainer/seed.hpp"
#include "trainer/trainer.hpp"

#include <volt/sdk/core.hpp>
#include <volt/sdk/yaml_writer.hpp>

#include <c10/core/DefaultDtype.h>
#include <torch/cuda.h>
#include <torch/serialize.h>

#include <csignal>
#include <map>
#include <cstdlib>
#include <filesystem>
#include <exception>
#include <fstream>
#include <iostream>

namespace volt::host {

namespace {

namespace fs = std::filesystem;

// The device single_device uses, from Lightning's accelerator/devices options.
std::string device_for(const nlohmann::json& trainer) {
  std::string accelerator = trainer.value("accelerator", std::string("auto"));
  bool cuda = accelerator == "cuda" || accelerator == "gpu" ||
              (accelerator == "auto" && torch::cuda::is_available());
  if (!cuda) return "cpu";
  int index = 0;
  const auto& devices = trainer.contains("devices") ? trainer["devices"] : nlohmann::json();
  if (devices.is_array() && !devices.empty()) index = devices[0].get<int>();
  if (devices.is_string() && devices.get<std::string>().find(',') != std::string::npos)
    index = std::stoi(devices.get<std::string>());
  return "cuda:" + std::to_string(index);
}

// Values the host derives from the trainer section before plugins are created.
void derive_plugin_defaults(nlohmann::json& resolved, const nlohmann::json& given) {
  const nlohmann::json& trainer = resolved["trainer"];
  std::string root = trainer["default_root_dir"].is_string()
                         ? trainer["default_root_dir"].get<std::string>() : fs::current_path().string();
  if (resolved["logger"].is_array())
    for (auto& logger : resolved["logger"]) {
      auto& cfg = logger["config"];
      if (cfg.contains("save_dir") && cfg["save_dir"].is_null()) cfg["save_dir"] = root;
    }
  // Lightning's max_time: a Timer(duration=max_time, interval="step") callback, unless the
  // user configured a timer.
  if (trainer["max_time"].is_string()) {
    if (!resolved["callbacks"].is_array()) resolved["callbacks"] = nlohmann::json::array();
    bool has_timer = false;
    for (const auto& cb : resolved["callbacks"]) has_timer |= cb["id"] == "timer";
    if (!has_timer)
      resolved["callbacks"].push_back(
          {{"id", "timer"},
           {"config", {{"duration", trainer["max_time"]}, {"interval", "step"}, {"verbose", true}}}});
  }
  auto& strategy = resolved["strategy"];
  bool device_given = given.contains("strategy") && given["strategy"].is_object() &&
                      given["strategy"].contains("config") &&
                      given["strategy"]["config"].contains("device");
  if (strategy["id"] == "single_device" && !device_given)
    strategy["config"]["device"] = device_for(trainer);
}

// Lightning's _configure_progress_bar: with enable_progress_bar (the default) the trainer adds
// its TQDMProgressBar unless a progress bar is among the callbacks; without it, a configured
// progress bar is an error. A callback is a progress bar when its schema says
// "x-volt-role": "progress_bar".
template <class Lookup>
void configure_progress_bar(nlohmann::json& resolved, const Lookup& lookup) {
  if (!resolved["callbacks"].is_array()) resolved["callbacks"] = nlohmann::json::array();
  std::string bar_id;
  for (const auto& cb : resolved["callbacks"]) {
    std::optional<nlohmann::json> schema = lookup("callback", cb["id"].get<std::string>());
    if (schema && schema->value("x-volt-role", std::string()) == "progress_bar")
      bar_id = cb["id"].get<std::string>();
  }
  bool enabled = resolved["trainer"].value("enable_progress_bar", true);
  if (!enabled && !bar_id.empty())
    throw config::ConfigError("Trainer was configured with enable_progress_bar=false but found the "
                              "progress bar '" + bar_id + "' in the callbacks list.");
  if (!enabled || !bar_id.empty()) return;
  std::optional<nlohmann::json> schema = lookup("callback", "progress_bar");
  if (!schema) return;  // the shipped callbacks are not installed: no bar, as before plugins
  resolved["callbacks"].push_back(
      {{"id", "progress_bar"},
       {"config", config::apply_schema(*schema, nlohmann::json::object(), "callbacks")}});
}

template <class Table>
Instance<Table> make(const PluginRegistry& registry, int32_t kind, const nlohmann::json& section) {
  std::string id = section.at("id").get<std::string>();
  const PluginRecord* record = registry.find(kind, id);
  if (record == nullptr)
    throw Error(VOLT_ERROR_NOT_FOUND, std::string("no ") + kind_name(kind) + " plugin '" + id + "'");
  auto context = std::make_unique<volt_host_context>();
  context->label = std::string(kind_name(kind)) + " '" + id + "'";
  context->id = id;
  void* instance = registry.create(*record, context.get(), section.at("config").dump());
  return Instance<Table>(static_cast<Table*>(instance), std::move(context));
}

// Sets torch's default dtype for its lifetime ("" = leave it): "float64", "float16",
// "bfloat16" or "float32".
class DefaultDtypeScope {
 public:
  explicit DefaultDtypeScope(const std::string& name) : previous_(c10::get_default_dtype()) {
    if (name.empty()) return;
    static const std::map<std::string, caffe2::TypeMeta> dtypes{
        {"float64", caffe2::TypeMeta::Make<double>()},
        {"float32", caffe2::TypeMeta::Make<float>()},
        {"float16", caffe2::TypeMeta::Make<c10::Half>()},
        {"bfloat16", caffe2::TypeMeta::Make<c10::BFloat16>()}};
    auto it = dtypes.find(name);
    if (it == dtypes.end())
      throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                  "precision plugin schema: x-volt-module-dtype '" + name +
                      "' is not one of float64, float32, float16, bfloat16");
    c10::set_default_dtype(it->second);
  }
  ~DefaultDtypeScope() { c10::set_default_dtype(previous_); }
  DefaultDtypeScope(const DefaultDtypeScope&) = delete;
  DefaultDtypeScope& operator=(const DefaultDtypeScope&) = delete;

 private:
  caffe2::TypeMeta previous_;
};

// LightningCLI's SaveConfigCallback: <log_dir>/config.yaml, never silently replacing the config
// of an earlier run in the same folder (a fixed logger version, or logger=false).
void save_config(const std::string& dir, const nlohmann::json& resolved, bool overwrite) {
  if (dir.empty()) return;
  fs::create_directories(dir);
  fs::path path = fs::path(dir) / "config.yaml";
  if (fs::exists(path) && !overwrite)
    throw Error(VOLT_ERROR_ALREADY_EXISTS,
                path.string() + " already exists; refusing to overwrite the config of a previous "
                "run. Delete it, choose another folder or logger version, or pass "
                "--overwrite-config to replace it");
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    out << volt::yaml::dump(resolved);
    if (!out) throw Error(VOLT_ERROR_DATA_LOSS, "cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

// Removes a run folder that holds nothing a run logged: only config.yaml, hparams.yaml and a
// metrics.csv without rows (what a logger writes before the first metric).
void remove_unused_run_folder(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name == "config.yaml" || name == "hparams.yaml") continue;
    if (name == "metrics.csv" && entry.is_regular_file()) {
      std::ifstream in(entry.path());
      std::string line;
      int lines = 0;
      while (std::getline(in, line) && lines < 2) ++lines;
      if (lines <= 1) continue;
    }
    return;  // something worth keeping
  }
  if (!ec) fs::remove_all(dir, ec);
}

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// LibTorch's threads for each of the `local_processes` ranks on this node.
ThreadChoice thread_choice(const nlohmann::json& trainer, int64_t local_processes) {
  std::optional<int64_t> option;
  if (auto it = trainer.find("num_threads"); it != trainer.end() && it->is_number_integer())
    option = it->get<int64_t>();
  return choose_threads(option, process_env, cpu_allowance(), local_processes);
}

}  // namespace

int run_command(const config::ParsedCommand& command, const RunOptions& options) {
  start_heartbeat();  // in a launched worker: before plugin loading, which takes a while
  std::unique_ptr<PluginRegistry> owned_registry = open_registry(plugin_loading(command));
  PluginRegistry& registry = *owned_registry;
  for (const auto& skipped : registry.skipped())
    log::warning("skipped: ", skipped.reason);  // the reason names the file

  auto lookup = [&](const std::string& group, const std::string& id) -> std::optional<nlohmann::json> {
    auto kind = kind_of_group(group);
    const PluginRecord* r = kind ? registry.find(*kind, id) : nullptr;
    if (r == nullptr) return std::nullopt;
    return nlohmann::json::parse(r->schema);
  };
  auto list = [&](const std::string& group) {
    auto kind = kind_of_group(group);
    return kind ? registry.ids(*kind) : std::vector<std::string>{};
  };
  // validate/test/predict build the module from the checkpoint's hyper_parameters (Lightning's
  // load_from_checkpoint); fit resumes the module the flags describe.
  nlohmann::json given = command.config;
  auto model = given.find("model");
  if (command.subcommand != "fit" && model != given.end() && model->is_object() &&
      model->contains("id") && (*model)["id"].is_string())
    if (auto schema = lookup("model", (*model)["id"].get<std::string>()))
      given = with_checkpoint_hparams(given, *schema);
  nlohmann::json resolved;
  try {
    resolved = config::validate_and_fill(given, lookup, list);
  } catch (const config::ConfigError& e) {
    throw command.sources.annotate(e);  // which file and line, or flag, set the value
  }
  derive_plugin_defaults(resolved, command.config);
  configure_progress_bar(resolved, lookup);

  if (command.print_config) {
    std::cout << (command.print_format == "json" ? config::to_pretty_json(resolved)
                                                 : volt::yaml::dump(resolved));
    return 0;
  }

  // How many processes, and which one this is. A launching strategy with several local
  // devices makes this process the supervisor of one worker per device.
  std::string strategy_id = resolved["strategy"]["id"].get<std::string>();
  std::optional<nlohmann::json> strategy_schema = lookup("strategy", strategy_id);
  bool launching = strategy_schema &&
                   strategy_schema->value("x-volt-launcher", std::string()) == "subprocess";
  ProcessPlan plan = plan_processes(resolved["trainer"], strategy_id, launching, process_env);
  if (plan.launch_workers) {
    ThreadChoice per_rank = thread_choice(resolved["trainer"], plan.devices);
    log::info("Each of the ", plan.devices, " workers uses ", per_rank.describe());
    LaunchPlan launch;
    launch.program = "/proc/self/exe";
    launch.args = options.arguments;
    launch.local_processes = plan.devices;
    launch.num_nodes = plan.num_nodes;
    launch.node_rank = plan.cluster.node_rank;
    launch.main_address = plan.cluster.main_address;
    launch.main_port = plan.cluster.main_port;
    launch.worker_env = worker_thread_environment(per_rank);
    launch.heartbeat_timeout = std::chrono::milliseconds(
        static_cast<int64_t>(resolved["trainer"]["heartbeat_timeout"].get<double>() * 1000.0));
    return launch_local_workers(launch);
  }
  follow_launcher();
  const ClusterEnvironment& cluster = plan.cluster;
  if (launching) log::info("Initializing distributed: ", cluster.describe());  // every rank
  // Before any plugin exists, so that no parallel work has started (inter-op threads are fixed
  // then) and plugin constructors already run with the process's threads. Every rank says it.
  const ThreadChoice threads = thread_choice(resolved["trainer"], launching ? plan.devices : 1);
  apply_threads(threads);
  if (!threads.warning.empty()) log::warning(threads.warning);
  log::info(launching ? "Rank " + std::to_string(cluster.global_rank) + ": " : std::string(),
            "LibTorch uses ", threads.describe());
  log::set_process_rank(static_cast<int>(cluster.global_rank), static_cast<int>(cluster.world_size));
  if (launching && cluster.world_size > 1 && cluster.main_port == 0)
    throw config::ConfigError("MASTER_PORT is not set: every process of a " +
                              std::to_string(cluster.world_size) +
                              "-process run must be told where rank 0 listens");

  // Seed before any plugin exists, so model initialisation is reproducible (Lightning's CLI).
  std::optional<uint64_t> seed;
  if (resolved["seed_everything"].is_number_integer()) {
    seed = resolved["seed_everything"].get<uint64_t>();
    seed_everything(*seed);
    log::info("Seed set to ", *seed);
  }

  TrainerComponents components;
  {
    // A *-true precision builds the module in its dtype (Lightning's module_init_context): its
    // schema names the dtype under "x-volt-module-dtype".
    std::optional<nlohmann::json> precision_schema =
        lookup("precision", resolved["precision"]["id"].get<std::string>());
    DefaultDtypeScope dtype(precision_schema ? precision_schema->value("x-volt-module-dtype", std::string())
                                             : std::string());
    components.module = make<volt_module>(registry, VOLT_KIND_MODULE, resolved["model"]);
  }
  components.data = make<volt_datamodule>(registry, VOLT_KIND_DATAMODULE, resolved["data"]);
  components.strategy = make<volt_strategy>(registry, VOLT_KIND_STRATEGY, resolved["strategy"]);
  components.precision = make<volt_precision>(registry, VOLT_KIND_PRECISION, resolved["precision"]);
  // Loggers write from rank 0 only (Lightning's rank_zero_experiment): other ranks have none
  // and learn rank 0's log folder from the trainer.
  if (resolved["logger"].is_array() && cluster.global_rank == 0)
    for (const auto& l : resolved["logger"])
      components.loggers.push_back(make<volt_logger>(registry, VOLT_KIND_LOGGER, l));
  // Lightning's configure_callbacks: the module's callbacks replace configured ones of their id.
  int32_t stage = command.subcommand == "validate" ? VOLT_STAGE_VALIDATE
                  : command.subcommand == "test"   ? VOLT_STAGE_TEST
                  : command.subcommand == "predict" ? VOLT_STAGE_PREDICT
                                                    : VOLT_STAGE_FIT;
  for (const auto& cb : with_model_callbacks(components.module, stage, resolved["callbacks"], lookup))
    components.callbacks.push_back(make<volt_callback>(registry, VOLT_KIND_CALLBACK, cb));

  TrainerOptions trainer_options = TrainerOptions::from_json(resolved["trainer"]);
  trainer_options.cluster = cluster;
  trainer_options.local_world_size = plan.devices;
  trainer_options.num_nodes = plan.num_nodes;
  trainer_options.accelerator_kind = plan.accelerator;
  int status = 0;
  {
    Trainer trainer(trainer_options, components);
    if (trainer.global_rank() == 0) save_config(trainer.log_dir(), resolved, command.overwrite_config);
    // A run that fails before it logged anything leaves no version folder behind.
    struct RemoveIfNothingLogged {
      std::string dir;
      int uncaught = std::uncaught_exceptions();
      ~RemoveIfNothingLogged() {
        if (!dir.empty() && std::uncaught_exceptions() > uncaught) remove_unused_run_folder(dir);
      }
    } cleanup{trainer.global_rank() == 0 ? trainer.log_dir() : std::string()};
    const std::string& sub = command.subcommand;
    // Lightning's ckpt_path: fit resumes from it, the other stages load its weights.
    std::optional<std::string> ckpt_path;
    if (resolved["ckpt_path"].is_string()) ckpt_path = resolved["ckpt_path"].get<std::string>();
    std::vector<at::Tensor> predictions;
    if (sub == "fit") {
      try {
        trainer.fit(ckpt_path);
      } catch (const Interrupted& e) {
        log::warning("Training ", e.what());
        if (!e.checkpoint().empty())
          log::info("Resume with: volt fit <same flags> --ckpt_path=", e.checkpoint());
        status = e.exit_status();
      }
      bool interrupted = status != 0;
      if (!interrupted && options.test_after_fit) trainer.test();
      else if (!interrupted && trainer.global_rank() == 0)
        print_metrics_table("Final metric", trainer.callback_metrics(), stdout);
      if (!trainer.last_checkpoint().empty())
        log::info("Checkpoint saved to ", trainer.last_checkpoint());
    } else if (sub == "validate" || sub == "test") {
      try {
        sub == "validate" ? trainer.validate(ckpt_path) : trainer.test(ckpt_path);
      } catch (const Interrupted& e) {
        log::warning(sub, " ", e.what());
        status = e.exit_status();
      }
    } else if (sub == "predict") {
      try {
        predictions = trainer.predict(ckpt_path);
      } catch (const Interrupted& e) {
        log::warning("predict ", e.what(), "; no predictions written");
        status = e.exit_status();
      }
    }
    if (sub == "predict" && status == 0) {
      fs::path root = trainer_options.default_root_dir.empty()
                          ? fs::current_path() : fs::path(trainer_options.default_root_dir);
      fs::create_directories(root);
      // With several processes each rank predicts its shard: predictions_rank<N>.pt.
      fs::path out = root / (cluster.world_size > 1
                                 ? "predictions_rank" + std::to_string(trainer.global_rank()) + ".pt"
                                 : std::string("predictions.pt"));
      std::vector<char> bytes = torch::pickle_save(c10::IValue(c10::List<at::Tensor>(predictions)));
      std::ofstream(out, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      log::info(predictions.size(), " prediction batches saved to ", out.string());
    }
    if (!trainer.log_dir().empty()) log::info("Logs written to ", trainer.log_dir());
    if (cancel_flag().load() && status == 0) status = 128 + (stop_signal() != 0 ? stop_signal() : SIGINT);
  }
  // Instances are destroyed with `components`; libraries stay loaded (never unloaded).
  components = TrainerComponents{};
  registry.shutdown();
  return status;
}

}  // namespace volt::host
