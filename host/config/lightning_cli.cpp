#include "config/lightning_cli.hpp"

#include "config/config_error.hpp"
#include "config/json_schema.hpp"

#include <cctype>
#include <map>
#include <utility>

namespace volt::host::config {
namespace {

// Lightning's class names (callbacks, loggers, strategies) and the Volt plugins that do their
// work.
const std::map<std::string, std::string>& lightning_classes() {
  static const std::map<std::string, std::string> names{
      {"EarlyStopping", "early_stopping"},
      {"ModelCheckpoint", "model_checkpoint"},
      {"LearningRateMonitor", "lr_monitor"},
      {"ModelSummary", "model_summary"},
      {"RichModelSummary", "model_summary"},
      {"TQDMProgressBar", "progress_bar"},
      {"RichProgressBar", "progress_bar"},
      {"Timer", "timer"},
      {"GradientAccumulationScheduler", "gradient_accumulation_scheduler"},
      {"OnExceptionCheckpoint", "on_exception_checkpoint"},
      {"EMAWeightAveraging", "ema_weight_averaging"},
      {"CSVLogger", "csv"},
      {"TensorBoardLogger", "tensorboard"},
      {"MLFlowLogger", "mlflow"},
      {"DDPStrategy", "ddp"},
      {"FSDPStrategy", "fsdp"},
      {"SingleDeviceStrategy", "single_device"},
  };
  return names;
}

// LitMLP -> lit_mlp, MNISTDataModule -> mnist_data_module.
std::string snake_case(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (std::isupper(c)) {
      bool prev_lower = i > 0 && (std::islower(static_cast<unsigned char>(name[i - 1])) ||
                                  std::isdigit(static_cast<unsigned char>(name[i - 1])));
      bool next_lower = i + 1 < name.size() && std::islower(static_cast<unsigned char>(name[i + 1]));
      bool prev_upper = i > 0 && std::isupper(static_cast<unsigned char>(name[i - 1]));
      if (!out.empty() && out.back() != '_' && (prev_lower || (prev_upper && next_lower)))
        out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// The last part of a dotted class path (the whole name when it has no dot).
std::string last_component(const std::string& name) {
  size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

// {class_path, init_args} as (class path, init_args); "" when class_path is absent.
std::pair<std::string, nlohmann::json> parse_class_path(const nlohmann::json& selection,
                                                        const std::string& where) {
  std::string class_path;
  nlohmann::json args = nlohmann::json::object();
  for (const auto& [key, value] : selection.items()) {
    if (key == "class_path") {
      if (!value.is_string())
        throw ConfigError(where + ".class_path", "expected a string, got " + describe_value(value));
      class_path = value.get<std::string>();
    } else if (key == "init_args") {
      if (!value.is_object() && !value.is_null())
        throw ConfigError(where + ".init_args", "expected an object, got " + describe_value(value));
      if (value.is_object()) args = value;
    } else {
      throw ConfigError(where + "." + key, "unknown key; a LightningCLI selection holds "
                        "\"class_path\" and \"init_args\" (Volt's form: \"id\" and \"config\")");
    }
  }
  return {class_path, args};
}

// A class name, {class_path, init_args}, or plain options (as init_args).
std::pair<std::string, nlohmann::json> class_and_args(const nlohmann::json& value,
                                                      const std::string& where) {
  if (value.is_string()) return {value.get<std::string>(), nlohmann::json::object()};
  if (!value.is_object())
    throw ConfigError(where, "expected a class name or {class_path, init_args}, got " +
                      describe_value(value));
  if (!is_class_path_selection(value)) return {"", value};
  return parse_class_path(value, where);
}

}  // namespace

std::optional<std::string> plugin_id_for_class(const std::string& name) {
  std::string last = last_component(name);
  if (auto it = lightning_classes().find(last); it != lightning_classes().end()) return it->second;
  if (last.size() == name.size() || last.empty()) return std::nullopt;  // no dot: a Volt id
  return snake_case(last);
}

std::string plugin_id_from(const std::string& id) { return plugin_id_for_class(id).value_or(id); }

bool is_class_path_selection(const nlohmann::json& selection) {
  return selection.is_object() && (selection.contains("class_path") || selection.contains("init_args"));
}

nlohmann::json from_class_path_selection(const nlohmann::json& selection, const std::string& where) {
  auto [class_path, args] = parse_class_path(selection, where);
  nlohmann::json out{{"config", args}};
  if (!class_path.empty()) out["id"] = plugin_id_from(class_path);
  return out;
}

nlohmann::json optimizer_as_model_config(const nlohmann::json& value, const std::string& where) {
  auto [class_path, args] = class_and_args(value, where);
  nlohmann::json out = args;
  if (!class_path.empty()) {
    std::string name = last_component(class_path);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out["optimizer"] = name;  // Adam -> adam, SGD -> sgd, AdamW -> adamw
  }
  return out;
}

nlohmann::json lr_scheduler_as_model_config(const nlohmann::json& value, const std::string& where) {
  static const std::map<std::string, std::string> names{
      {"StepLR", "step"},     {"MultiStepLR", "multistep"}, {"CosineAnnealingLR", "cosine"},
      {"LinearLR", "linear"}, {"OneCycleLR", "onecycle"},   {"ReduceLROnPlateau", "plateau"}};
  auto [class_path, args] = class_and_args(value, where);
  nlohmann::json scheduler = args;
  if (!class_path.empty()) {
    std::string last = last_component(class_path);
    auto it = names.find(last);
    if (it == names.end()) {
      std::string known;
      for (const auto& [k, unused] : names) known += (known.empty() ? "" : ", ") + k;
      throw ConfigError(where, "no Volt scheduler for " + class_path + " (known: " + known + ")");
    }
    scheduler["name"] = it->second;
  }
  return nlohmann::json{{"lr_scheduler", scheduler}};
}

std::string auto_strategy_id(const nlohmann::json& trainer) {
  auto count = [](const nlohmann::json& devices) -> int64_t {
    if (devices.is_number_integer()) return devices.get<int64_t>();
    if (!devices.is_string()) return 1;
    std::string text = devices.get<std::string>();
    if (text == "auto") return 1;
    if (text == "-1") return 2;  // every device: more than one wherever it matters
    int64_t n = text.empty() ? 0 : 1;
    for (char c : text) n += c == ',' ? 1 : 0;
    return n;
  };
  int64_t devices = count(trainer.value("devices", nlohmann::json("auto")));
  auto given_nodes = trainer.find("num_nodes");
  int64_t nodes = given_nodes != trainer.end() && given_nodes->is_number_integer()
                      ? given_nodes->get<int64_t>()
                      : 1;
  return devices > 1 || devices == -1 || nodes > 1 ? "ddp" : "single_device";
}

}  // namespace volt::host::config
