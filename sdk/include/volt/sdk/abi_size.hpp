// The struct_size to fill in for each C ABI struct, by type: the *_SIZE constants beside the
// structs in volt/c/*.h (never sizeof, whose trailing padding would cover a field appended in
// a later minor). Generic code writes `s.struct_size = volt::abi_size(&s)`.
#pragma once

#include <volt/volt.h>

#include <cstddef>

namespace volt {

constexpr size_t abi_size(const volt_build_info*) { return VOLT_BUILD_INFO_SIZE; }
constexpr size_t abi_size(const volt_callback*) { return VOLT_CALLBACK_SIZE; }
constexpr size_t abi_size(const volt_loader_args*) { return VOLT_LOADER_ARGS_SIZE; }
constexpr size_t abi_size(const volt_datamodule*) { return VOLT_DATAMODULE_SIZE; }
constexpr size_t abi_size(const volt_hook_args*) { return VOLT_HOOK_ARGS_SIZE; }
constexpr size_t abi_size(const volt_log_args*) { return VOLT_LOG_ARGS_SIZE; }
constexpr size_t abi_size(const volt_trainer_state*) { return VOLT_TRAINER_STATE_SIZE; }
constexpr size_t abi_size(const volt_host_api*) { return VOLT_HOST_API_SIZE; }
constexpr size_t abi_size(const volt_logger*) { return VOLT_LOGGER_SIZE; }
constexpr size_t abi_size(const volt_step_args*) { return VOLT_STEP_ARGS_SIZE; }
constexpr size_t abi_size(const volt_step_result*) { return VOLT_STEP_RESULT_SIZE; }
constexpr size_t abi_size(const volt_module*) { return VOLT_MODULE_SIZE; }
constexpr size_t abi_size(const volt_optimizer*) { return VOLT_OPTIMIZER_SIZE; }
constexpr size_t abi_size(const volt_optimizer_info*) { return VOLT_OPTIMIZER_INFO_SIZE; }
constexpr size_t abi_size(const volt_scheduler_config*) { return VOLT_SCHEDULER_CONFIG_SIZE; }
constexpr size_t abi_size(const volt_lr_scheduler*) { return VOLT_LR_SCHEDULER_SIZE; }
constexpr size_t abi_size(const volt_optimizer_sink*) { return VOLT_OPTIMIZER_SINK_SIZE; }
constexpr size_t abi_size(const volt_plugin_descriptor*) { return VOLT_PLUGIN_DESCRIPTOR_SIZE; }
constexpr size_t abi_size(const volt_create_args*) { return VOLT_CREATE_ARGS_SIZE; }
constexpr size_t abi_size(const volt_plugin_entry*) { return VOLT_PLUGIN_ENTRY_SIZE; }
constexpr size_t abi_size(const volt_precision*) { return VOLT_PRECISION_SIZE; }
constexpr size_t abi_size(const volt_state_view*) { return VOLT_STATE_VIEW_SIZE; }
constexpr size_t abi_size(const volt_strategy_info*) { return VOLT_STRATEGY_INFO_SIZE; }
constexpr size_t abi_size(const volt_strategy*) { return VOLT_STRATEGY_SIZE; }

}  // namespace volt
