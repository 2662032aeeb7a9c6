#include "commands/model_callbacks.hpp"

#include "config/config_error.hpp"
#include "config/json_schema.hpp"
#include "config/lightning_cli.hpp"
#include "runtime/log.hpp"

#include <volt/sdk/core.hpp>

#include <algorithm>
#include <set>

namespace volt::host {

namespace {

// What the module wrote to args.callbacks_out (JSON only).
struct JsonSink {
  volt_state_sink sink{};
  std::string json;
  JsonSink() {
    sink.ctx = this;
    sink.tensor = [](void*, size_t, volt_tensor*) {};  // callback configs hold no tensors
    sink.structure = [](void* ctx, const char* text) {
      static_cast<JsonSink*>(ctx)->json = text != nullptr ? text : "";
    };
  }
};

nlohmann::json requested_callbacks(const ModuleInstance& module, int32_t stage) {
  auto implements = module->implements_hook;
  if (implements != nullptr && !implements(module.get(), VOLT_HOOK_CONFIGURE_CALLBACKS)) return {};
  JsonSink out;
  volt_hook_args a{};
  a.struct_size = volt::abi_size(&a);
  a.stage = stage;
  a.module = module.get();
  a.callbacks_out = &out.sink;
  module.check(module->on_hook(module.get(), VOLT_HOOK_CONFIGURE_CALLBACKS, &a), "configure_callbacks");
  if (out.json.empty()) return {};
  nlohmann::json specs = nlohmann::json::parse(out.json, nullptr, false);
  if (!specs.is_array())
    throw config::ConfigError(module.label() + ": configure_callbacks returned something that is "
                                               "not a list of {\"id\", \"config\"}");
  return specs;
}

}  // namespace

nlohmann::json with_model_callbacks(const ModuleInstance& module, int32_t stage,
                                    const nlohmann::json& configured, const SchemaLookup& lookup) {
  nlohmann::json specs = requested_callbacks(module, stage);
  if (specs.empty()) return configured;
  const std::string where = module.label() + ": configure_callbacks";
  nlohmann::json model = nlohmann::json::array();
  std::set<std::string> ids;
  for (size_t i = 0; i < specs.size(); ++i) {
    const nlohmann::json& spec = specs[i];
    std::string at = where + "[" + std::to_string(i) + "]";
    if (!spec.is_object() || !spec.contains("id") || !spec["id"].is_string())
      throw config::ConfigError(at + ": each callback needs an \"id\" (a plugin id or a Lightning class name)");
    std::string id = config::plugin_id_from(spec["id"].get<std::string>());
    std::optional<nlohmann::json> schema = lookup("callback", id);
    if (!schema)
      throw config::ConfigError(at + ": no loaded plugin provides the callback '" + id +
                                "' (volt plugins lists them)");
    nlohmann::json config = spec.contains("config") ? spec["config"] : nlohmann::json::object();
    model.push_back({{"id", id}, {"config", config::apply_schema(*schema, config, at)}});
    ids.insert(id);
  }
  // Lightning: the trainer's callbacks of other types, then the module's; those that
  // checkpoint last of all.
  nlohmann::json merged = nlohmann::json::array();
  std::set<std::string> replaced;
  for (const auto& cb : configured) {
    std::string id = cb.value("id", std::string());
    if (ids.count(id) != 0) replaced.insert(id);
    else merged.push_back(cb);
  }
  for (auto& cb : model) merged.push_back(std::move(cb));
  std::stable_partition(merged.begin(), merged.end(),
                        [](const nlohmann::json& cb) { return cb.value("id", "") != "model_checkpoint"; });
  if (!replaced.empty()) {
    std::string names;
    for (const auto& id : replaced) names += (names.empty() ? "" : ", ") + id;
    log::info("The following callbacks returned in `LightningModule.configure_callbacks` will "
              "override existing callbacks passed to Trainer: ", names);
  }
  return merged;
}

}  // namespace volt::host
