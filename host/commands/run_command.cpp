#include "commands/run_command.hpp"

#include "commands/model_callbacks.hpp"
#include "commands/run_config.hpp"
#include "commands/run_folder.hpp"

#include "commands/plugin_loading.hpp"
#include "config/config_error.hpp"
#include "config/config_resolver.hpp"
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

#include <csignal>
#include <map>
#include <cstdlib>
#include <filesystem>
#include <exception>
#include <iostream>

namespace volt::host {

namespace {

namespace fs = std::filesystem;

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

// Starts one worker per local device and supervises them; returns the job's exit status.
int launch_workers(const ProcessPlan& plan, const nlohmann::json& trainer,
                   const RunOptions& options) {
  ThreadChoice per_rank = thread_choice(trainer, plan.devices);
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
      static_cast<int64_t>(trainer["heartbeat_timeout"].get<double>() * 1000.0));
  return launch_local_workers(launch);
}

// This process as one rank of the run: LibTorch's threads, the log prefix, the seed. Before
// any plugin exists, so that no parallel work has started (inter-op threads are fixed then),
// plugin constructors run with the process's threads, and model initialisation is
// reproducible (Lightning's CLI seeds first).
void prepare_process(const ProcessPlan& plan, bool launching, const nlohmann::json& resolved) {
  const ClusterEnvironment& cluster = plan.cluster;
  if (launching) log::info("Initializing distributed: ", cluster.describe());  // every rank
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
  if (resolved["seed_everything"].is_number_integer()) {
    uint64_t seed = resolved["seed_everything"].get<uint64_t>();
    seed_everything(seed);
    log::info("Seed set to ", seed);
  }
}

int32_t stage_of(const std::string& subcommand) {
  if (subcommand == "validate") return VOLT_STAGE_VALIDATE;
  if (subcommand == "test") return VOLT_STAGE_TEST;
  if (subcommand == "predict") return VOLT_STAGE_PREDICT;
  return VOLT_STAGE_FIT;
}

// The plugin instances of the run, in Lightning's CLI order.
TrainerComponents make_components(const PluginRegistry& registry, const nlohmann::json& resolved,
                                  const config::SchemaLookup& lookup, int32_t stage,
                                  int64_t global_rank) {
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
  if (resolved["logger"].is_array() && global_rank == 0)
    for (const auto& l : resolved["logger"])
      components.loggers.push_back(make<volt_logger>(registry, VOLT_KIND_LOGGER, l));
  // Lightning's configure_callbacks: the module's callbacks replace configured ones of their id.
  for (const auto& cb : with_model_callbacks(components.module, stage, resolved["callbacks"], lookup))
    components.callbacks.push_back(make<volt_callback>(registry, VOLT_KIND_CALLBACK, cb));
  return components;
}

// Runs the subcommand's stage; returns the exit status (128 + signal when interrupted).
int run_stage(Trainer& trainer, const std::string& sub, const nlohmann::json& resolved,
              const RunOptions& options, const TrainerOptions& trainer_options) {
  // Lightning's ckpt_path: fit resumes from it, the other stages load its weights.
  std::optional<std::string> ckpt_path;
  if (resolved["ckpt_path"].is_string()) ckpt_path = resolved["ckpt_path"].get<std::string>();
  int status = 0;
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
    std::vector<at::Tensor> predictions;
    try {
      predictions = trainer.predict(ckpt_path);
    } catch (const Interrupted& e) {
      log::warning("predict ", e.what(), "; no predictions written");
      status = e.exit_status();
    }
    if (status == 0) {
      fs::path root = trainer_options.default_root_dir.empty()
                          ? fs::current_path() : fs::path(trainer_options.default_root_dir);
      // With several processes each rank predicts its shard: predictions_rank<N>.pt.
      fs::path out = root / (trainer_options.cluster.world_size > 1
                                 ? "predictions_rank" + std::to_string(trainer.global_rank()) + ".pt"
                                 : std::string("predictions.pt"));
      save_predictions(out, predictions);
      log::info(predictions.size(), " prediction batches saved to ", out.string());
    }
  }
  if (!trainer.log_dir().empty()) log::info("Logs written to ", trainer.log_dir());
  if (cancel_flag().load() && status == 0) status = 128 + (stop_signal() != 0 ? stop_signal() : SIGINT);
  return status;
}

}  // namespace

int run_command(const config::ParsedCommand& command, const RunOptions& options) {
  start_heartbeat();  // in a launched worker: before plugin loading, which takes a while
  std::unique_ptr<PluginRegistry> owned_registry = open_registry(plugin_loading(command));
  PluginRegistry& registry = *owned_registry;
  for (const auto& skipped : registry.skipped())
    log::warning("skipped: ", skipped.reason);  // the reason names the file
  config::SchemaLookup lookup = [&](const std::string& group,
                                    const std::string& id) -> std::optional<nlohmann::json> {
    auto kind = kind_of_group(group);
    const PluginRecord* r = kind ? registry.find(*kind, id) : nullptr;
    if (r == nullptr) return std::nullopt;
    return nlohmann::json::parse(r->schema);
  };
  config::IdLister list = [&](const std::string& group) {
    auto kind = kind_of_group(group);
    return kind ? registry.ids(*kind) : std::vector<std::string>{};
  };
  nlohmann::json resolved = resolve_run_config(command, lookup, list);
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
  if (plan.launch_workers) return launch_workers(plan, resolved["trainer"], options);
  follow_launcher();
  prepare_process(plan, launching, resolved);

  TrainerComponents components = make_components(registry, resolved, lookup,
                                                 stage_of(command.subcommand),
                                                 plan.cluster.global_rank);
  TrainerOptions trainer_options = TrainerOptions::from_json(resolved["trainer"]);
  trainer_options.cluster = plan.cluster;
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
    status = run_stage(trainer, command.subcommand, resolved, options, trainer_options);
  }
  // Instances are destroyed with `components`; libraries stay loaded (never unloaded).
  components = TrainerComponents{};
  registry.shutdown();
  return status;
}

}  // namespace volt::host
