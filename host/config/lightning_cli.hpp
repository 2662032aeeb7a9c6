// LightningCLI's spelling of plugin selections, accepted wherever Volt's is:
//   {class_path: lightning.pytorch.callbacks.EarlyStopping, init_args: {...}}
//   --trainer.callbacks+=EarlyStopping, --model.class_path=..., --model.init_args.KEY=V
// Lightning's class names are aliases of Volt's plugin ids (EarlyStopping -> early_stopping,
// CSVLogger -> csv, DDPStrategy -> ddp); any other class path names a plugin by its last
// component in snake_case (my_project.models.LitMLP -> lit_mlp), so an unknown one is reported
// by the resolver with the ids that exist.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace volt::host::config {

// The Volt id a Lightning class name or class path stands for; nullopt when `name` is neither
// a known Lightning class nor a dotted class path (then it is used as an id as it is).
std::optional<std::string> plugin_id_for_class(const std::string& name);

// `id` itself, or the plugin id when it is a Lightning class name or a class path.
std::string plugin_id_from(const std::string& id);

// Whether `selection` is in LightningCLI's form (has class_path or init_args).
bool is_class_path_selection(const nlohmann::json& selection);

// {class_path, init_args} as Volt's {id, config}; `where` names it in errors.
nlohmann::json from_class_path_selection(const nlohmann::json& selection, const std::string& where);

// LightningCLI's automatic optimizer and scheduler arguments (`optimizer: {class_path: Adam,
// init_args: {lr: 0.01}}`, `--optimizer=Adam`, `--lr_scheduler=StepLR`) as the module options
// the shipped classifiers take: the optimizer's name and its init_args as model options, the
// scheduler as model.lr_scheduler {name, its arguments}. A module without those options refuses
// them by name when its config is checked.
nlohmann::json optimizer_as_model_config(const nlohmann::json& value, const std::string& where);
nlohmann::json lr_scheduler_as_model_config(const nlohmann::json& value, const std::string& where);

// Lightning's strategy="auto": ddp when the trainer asks for several devices or nodes, else
// single_device.
std::string auto_strategy_id(const nlohmann::json& trainer);

}  // namespace volt::host::config
