// `volt checkpoint consolidate DIR OUT.ckpt`: turns a sharded checkpoint (a folder written by a
// strategy with state_dict_type "sharded") into one single-device checkpoint file, the same a
// run with state_dict_type "full" writes (Lightning: torch.distributed.checkpoint.format_utils'
// dcp_to_torch_save, or `python -m lightning.pytorch.utilities.consolidate_checkpoint`).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace volt::host {

// `args` follow `volt checkpoint`. Returns the exit status; throws volt::Error on bad input.
int run_checkpoint_command(const std::vector<std::string>& args, std::ostream& out);

}  // namespace volt::host
