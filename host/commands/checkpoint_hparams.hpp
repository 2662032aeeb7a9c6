// Lightning's load_from_checkpoint for the command line: `volt validate|test|predict
// --ckpt_path=FILE` builds the module from FILE's hyper_parameters, so that a checkpoint needs no
// architecture flags. What the command line and config files set still wins.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace volt::host {

// `config` (a parsed command line, before validation) with model.config keys that it does not
// set taken from the checkpoint's hyper_parameters, where the module's schema has them (other
// saved keys, e.g. Lightning's own, are left out). The checkpoint is read only for a path to
// an existing file or folder; "last", "best" and missing files are left to the trainer, which
// names them in its error. Throws volt::Error when the file is not a readable checkpoint.
nlohmann::json with_checkpoint_hparams(const nlohmann::json& config,
                                       const nlohmann::json& module_schema);

}  // namespace volt::host
