#include "commands/help_command.hpp"

#include "config/config_error.hpp"
#include "config/did_you_mean.hpp"
#include "config/json_schema.hpp"
#include "config/trainer_schema.hpp"

#include <volt/volt.h>

#include <map>

namespace volt::host {
namespace {

using nlohmann::json;

constexpr const char* kCommands = R"(commands:
  fit         train a model (sanity validation, training and validation loops)
  validate    run the validation loop
  test        run the test loop
  predict     run predict_step over the predict split and save predictions.pt
  plugins     list the plugins found (--json: the catalogue with every schema, for tools)
  help TOPIC  the options of the trainer (TOPIC = trainer) or of a plugin (TOPIC = its id)
  completion  print a shell completion script: volt completion bash|zsh
  checkpoint  volt checkpoint consolidate DIR OUT.ckpt: a sharded checkpoint into one file
)";

constexpr const char* kRunOptions = R"(options (files, flags and environment apply left to right, each over what came before):
  --config FILE, -c FILE   a YAML or JSON config (repeatable); may hold fit:/test:... sections
  --model=ID --data=ID --strategy=ID --precision=ID
                           select a plugin; --model.KEY=VALUE etc. set its options
  --logger=ID[,ID]|false   loggers (default csv); --logger.ID.KEY=VALUE sets an option
  --callbacks+=ID          append a callback; following --callbacks.KEY=VALUE configure it
  --trainer.KEY=VALUE      a trainer option (below)
  --seed_everything=N|true|false   --ckpt_path=PATH|last|best|hpc
  --print-config[=yaml|json]       print the resolved config and exit
  --overwrite-config       let the run replace an existing config.yaml in its log folder
  --test-after-fit         run the test loop after fit
  --plugin-dir DIR         also load plugins from DIR (repeatable; also VOLT_PLUGIN_PATH)
  --plugin-allowlist FILE  load only libraries whose SHA-256 is listed (sha256sum format)
  --allow-insecure-plugins load from folders or files that other users can write to
environment (below the command line): VOLT_CONFIG=FILE, VOLT_TRAINER_<KEY>=VALUE,
  VOLT_SEED_EVERYTHING, VOLT_CKPT_PATH, VOLT_PLUGIN_PATH, VOLT_PLUGIN_ALLOWLIST,
  VOLT_ALLOW_INSECURE_PLUGINS=1
)";

const std::map<std::string, std::string>& subcommand_summaries() {
  static const std::map<std::string, std::string> summaries{
      {"fit", "Trains the model: sanity validation, then training epochs with validation."},
      {"validate", "Runs one validation epoch (with --ckpt_path: on those weights)."},
      {"test", "Runs one test epoch (with --ckpt_path: on those weights)."},
      {"predict", "Runs predict_step over the predict split and saves predictions.pt."}};
  return summaries;
}

const char* kKindOrder[] = {"module", "datamodule", "strategy", "precision", "logger",
                            "callback"};

std::string plugin_header(const PluginRecord& record) {
  std::string text = std::string(kind_name(record.kind)) + " '" + record.id + "'";
  if (!record.version.empty()) text += " " + record.version;
  if (!record.description.empty()) text += ": " + record.description;
  return text;
}

std::string indented(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start) out += "  ";
    out += c;
    line_start = c == '\n';
  }
  return out;
}

void print_plugin_options(const PluginRecord& record, std::ostream& out) {
  out << plugin_header(record) << "\n";
  out << "  select: --" << config_group(record.kind)
      << (record.kind == VOLT_KIND_CALLBACK ? "+=" : "=") << record.id << "\n";
  const std::string options =
      config::describe_schema(json::parse(record.schema), option_prefix(record.kind, record.id));
  if (options.empty()) {
    out << "  (no options)\n";
    return;
  }
  out << indented(options);
}

void print_catalogue(const PluginRegistry& registry, std::ostream& out) {
  out << "\nplugins found (volt help ID shows a plugin's options; volt plugins: their files):\n";
  for (const char* kind_text : kKindOrder) {
    const int32_t kind = *kind_from_name(kind_text);
    const std::vector<std::string> ids = registry.ids(kind);
    std::string group = "  " + config_group(kind) + ":";
    group.resize(14, ' ');
    out << group << (ids.empty() ? "(none)" : config::join(ids, ", ")) << "\n";
  }
}

// The plugins a command line selected: model, data, strategy, precision, loggers, callbacks.
std::vector<const PluginRecord*> selected_plugins(const json& config,
                                                  const PluginRegistry& registry) {
  std::vector<const PluginRecord*> out;
  const auto add = [&](int32_t kind, const json& selection) {
    if (!selection.is_object() || !selection.contains("id") || !selection["id"].is_string()) return;
    if (const PluginRecord* record = registry.find(kind, selection["id"].get<std::string>()))
      out.push_back(record);
  };
  for (const char* kind_text : kKindOrder) {
    const int32_t kind = *kind_from_name(kind_text);
    const std::string group = config_group(kind);
    if (!config.contains(group)) continue;
    if (config[group].is_array()) {
      for (const auto& selection : config[group]) add(kind, selection);
    } else {
      add(kind, config[group]);
    }
  }
  return out;
}

}  // namespace

std::string option_prefix(int32_t kind, const std::string& id) {
  return kind == VOLT_KIND_LOGGER ? "logger." + id : config_group(kind);
}

void print_help(const std::string& subcommand, const json& config,
                const PluginRegistry& registry, std::ostream& out) {
  if (subcommand.empty()) {
    out << "usage: volt <command> [options]\n\n" << kCommands << "\n";
  } else {
    out << "usage: volt " << subcommand << " [options]\n\n"
        << subcommand_summaries().at(subcommand) << "\n\n";
  }
  out << kRunOptions;
  out << "\ntrainer options (Lightning's Trainer arguments):\n";
  out << indented(config::describe_schema(config::trainer_schema(), "trainer"));
  print_catalogue(registry, out);
  for (const PluginRecord* record : selected_plugins(config, registry)) {
    out << "\n";
    print_plugin_options(*record, out);
  }
}

void print_topic_help(const std::vector<std::string>& topic, const PluginRegistry& registry,
                      std::ostream& out) {
  if (topic.empty() || topic.size() > 2) {
    throw config::ConfigError("volt help takes a topic: trainer, a plugin id, or a kind and an "
                              "id (volt help logger csv)");
  }
  if (topic.size() == 1 && topic[0] == "trainer") {
    out << "trainer options (--trainer.KEY=VALUE, or VOLT_TRAINER_KEY=VALUE in the "
           "environment):\n"
        << indented(config::describe_schema(config::trainer_schema(), "trainer"));
    return;
  }
  const std::string& id = topic.back();
  std::optional<int32_t> only_kind;
  if (topic.size() == 2) {
    only_kind = kind_of_group(topic[0]);
    if (!only_kind) {
      throw config::ConfigError("volt help: unknown kind '" + topic[0] + "'; expected one of "
                                "module, datamodule, strategy, precision, logger, callback");
    }
  }
  std::vector<std::string> all_ids{"trainer"};
  bool found = false;
  for (const PluginRecord& record : registry.plugins()) {
    if (only_kind && record.kind != *only_kind) continue;
    all_ids.push_back(record.id);
    if (record.id != id) continue;
    if (found) out << "\n";
    print_plugin_options(record, out);
    found = true;
  }
  if (!found) {
    throw config::ConfigError("volt help: no plugin '" + id + "'" +
                              config::did_you_mean(id, all_ids) +
                              " (volt plugins lists what is installed)");
  }
}

}  // namespace volt::host
