// The "trainer" section of the resolved config: Lightning's Trainer arguments, with their
// names and defaults (reference: lightning.md section 1). Plugin-like arguments (strategy,
// precision, logger, callbacks) are top-level groups of the config instead, and Lightning's
// seed_everything is the top-level "seed_everything".
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace volt::host::config {

// The JSON Schema of the trainer section (additionalProperties: false). Static.
const nlohmann::json& trainer_schema();

// Names of the trainer options, sorted.
std::vector<std::string> trainer_option_names();

// Rules the schema subset cannot express, checked on a trainer section that already passed
// apply_schema: a float limit_*_batches / overfit_batches / val_check_interval is a fraction
// and must be in [0.0, 1.0] (an integer is a batch count); a float val_check_interval given
// with check_val_every_n_epoch=null; Lightning options without a counterpart in Volt set to
// anything but their defaults; barebones with an explicitly enabled feature. `given` is the
// section as the user wrote it. Throws ConfigError.
void check_trainer_options(const nlohmann::json& trainer, const nlohmann::json& given = {});

// What Lightning's barebones=True turns off (besides the logger).
inline constexpr const char* kBarebonesOff[] = {"enable_progress_bar", "enable_model_summary",
                                                "enable_checkpointing"};

}  // namespace volt::host::config
